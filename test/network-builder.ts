/**
 * Hand-built network models for tests of the engine and what is built on it: a VPC with its
 * main route table and default ACL, subnets, tables, ACLs, groups, interfaces and instances,
 * gateways, peering; `build()` compiles a copy.
 */
import { compile, type CompiledNetwork } from '../src/network/compile.js';
import { type AclEntryModel, emptyModel, type InterfaceModel, type NetworkModel, type RouteModel, type SecurityGroupRuleModel } from '../src/network/model.js';
export const ALLOW_ALL: AclEntryModel[] = [
  { ruleNumber: 100, action: 'allow', protocol: '-1', cidr: '0.0.0.0/0' },
  { ruleNumber: 32767, action: 'deny', protocol: '-1', cidr: '0.0.0.0/0' },
];

export const ALL_OUT: SecurityGroupRuleModel = { id: 'sgr-out', protocol: '-1', fromPort: -1, toPort: -1, cidr: '0.0.0.0/0' };

export function route(destination: string, kind: RouteModel['target']['kind'], id: string, state: 'active' | 'blackhole' = 'active'): RouteModel {
  return { destination, target: { kind, id }, state, origin: kind === 'local' ? 'CreateRouteTable' : 'CreateRoute' };
}

export class Builder {
  readonly m: NetworkModel = emptyModel();

  /** `group`: the security group interfaces get unless told otherwise. */
  constructor(private readonly group = 'sg-open') {}

  vpc(id: string, cidr: string, opts: { account?: string } = {}): this {
    this.m.vpcs.push({ id, account: opts.account ?? '111111111111', region: 'us-east-1', cidrs: [cidr], ipv6Cidrs: [] });
    this.m.routeTables.push({ id: `rtb-main-${id}`, vpcId: id, main: true, routes: [route(cidr, 'local', 'local')], gatewayIds: [] });
    this.m.networkAcls.push({ id: `acl-${id}`, vpcId: id, isDefault: true, ingress: [...ALLOW_ALL], egress: [...ALLOW_ALL] });
    return this;
  }

  subnet(id: string, vpcId: string, cidr: string, opts: { rt?: string; acl?: string } = {}): this {
    this.m.subnets.push({ id, vpcId, cidr, availabilityZone: 'us-east-1a', routeTableId: opts.rt, networkAclId: opts.acl ?? `acl-${vpcId}` });
    return this;
  }

  routes(vpcId: string, ...routes: RouteModel[]): this {
    this.m.routeTables.find((t) => t.id === `rtb-main-${vpcId}`)!.routes.push(...routes);
    return this;
  }

  table(id: string, vpcId: string, ...routes: RouteModel[]): this {
    const vpc = this.m.vpcs.find((v) => v.id === vpcId)!;
    this.m.routeTables.push({ id, vpcId, main: false, routes: [route(vpc.cidrs[0]!, 'local', 'local'), ...routes], gatewayIds: [] });
    return this;
  }

  acl(id: string, vpcId: string, ingress: AclEntryModel[], egress: AclEntryModel[]): this {
    this.m.networkAcls.push({ id, vpcId, isDefault: false, ingress, egress });
    return this;
  }

  sg(id: string, vpcId: string, ingress: SecurityGroupRuleModel[], egress: SecurityGroupRuleModel[] = [ALL_OUT]): this {
    this.m.securityGroups.push({ id, name: id, vpcId, account: '111111111111', region: 'us-east-1', ingress, egress });
    return this;
  }

  eni(id: string, subnetId: string, ip: string, opts: Partial<InterfaceModel> & { publicIp?: string; instance?: string; state?: string } = {}): this {
    const subnet = this.m.subnets.find((s) => s.id === subnetId)!;
    const { publicIp, instance, state, ...rest } = opts;
    this.m.interfaces.push({
      id,
      account: '111111111111',
      region: 'us-east-1',
      vpcId: subnet.vpcId,
      subnetId,
      privateIps: [ip],
      publicIps: publicIp ? { [ip]: publicIp } : {},
      ipv6Addresses: [],
      groupIds: [this.group],
      sourceDestCheck: true,
      type: 'interface',
      attached: true,
      instanceId: instance,
      ...rest,
    });
    if (instance) {
      this.m.instances.push({ id: instance, account: '111111111111', region: 'us-east-1', state: state ?? 'running', interfaceIds: [id] });
    }
    return this;
  }

  igw(id: string, vpcId: string | undefined): this {
    this.m.internetGateways.push({ id, account: '111111111111', region: 'us-east-1', vpcId });
    return this;
  }

  nat(id: string, subnetId: string, ip: string, publicIp?: string): this {
    const subnet = this.m.subnets.find((s) => s.id === subnetId)!;
    const eniId = `eni-${id}`;
    this.eni(eniId, subnetId, ip, { groupIds: [], sourceDestCheck: false, type: 'nat_gateway', natGatewayId: id, publicIp });
    this.m.natGateways.push({
      id,
      vpcId: subnet.vpcId,
      subnetId,
      connectivity: publicIp ? 'public' : 'private',
      state: 'available',
      interfaceId: eniId,
      privateIp: ip,
      publicIp,
    });
    return this;
  }

  peering(id: string, a: string, b: string, status = 'active'): this {
    const end = (v: string) => {
      const vpc = this.m.vpcs.find((x) => x.id === v)!;
      return { account: vpc.account, region: vpc.region, vpcId: v, cidrs: vpc.cidrs, ipv6Cidrs: [] };
    };
    this.m.peeringConnections.push({ id, status, requester: end(a), accepter: end(b) });
    return this;
  }

  build(): CompiledNetwork {
    return compile(structuredClone(this.m));
  }
}

