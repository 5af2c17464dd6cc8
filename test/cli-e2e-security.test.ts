/**
 * End to end with the AWS CLI: securing and populating a VPC as a user does it from a shell —
 * security groups and their rules, network ACLs, network interfaces, instances with the CLI's
 * waiters, and Elastic IPs — asserting on the JSON the CLI prints and the error codes it reports.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { containsIp4, parseCidr4, parseIpv4 } from '../src/network/cidr.js';
import { awsCli } from './cli.js';
import { startTestServer, type TestServer } from './helpers.js';

interface Rule {
  SecurityGroupRuleId: string;
  GroupId: string;
  IsEgress: boolean;
  IpProtocol: string;
  FromPort: number;
  ToPort: number;
  CidrIpv4?: string;
  ReferencedGroupInfo?: { GroupId: string; UserId: string };
  Description?: string;
}

function inCidr(ip: string, cidr: string): boolean {
  const n = parseIpv4(ip);
  return n !== undefined && containsIp4(parseCidr4(cidr)!, n);
}

describe('AWS CLI end to end: security groups, network ACLs, interfaces, instances, Elastic IPs', () => {
  let srv: TestServer;
  const { aws, ok, fails } = awsCli(() => srv.endpoint);
  let vpcId: string;
  let subnetId: string;

  before(async () => {
    srv = await startTestServer({ stateTransitionMs: 200 });
    vpcId = (await ok(['ec2', 'create-vpc', '--cidr-block', '10.60.0.0/16'])).Vpc.VpcId;
    subnetId = (await ok(['ec2', 'create-subnet', '--vpc-id', vpcId, '--cidr-block', '10.60.1.0/24', '--availability-zone', 'us-east-1a'])).Subnet
      .SubnetId;
  });
  after(() => srv.close());

  it('opens ports with security group rules by CIDR and by group, finds them, and refuses duplicates and unsafe deletes', async () => {
    const [web, app] = await Promise.all([
      ok(['ec2', 'create-security-group', '--group-name', 'web', '--description', 'web tier', '--vpc-id', vpcId]),
      ok(['ec2', 'create-security-group', '--group-name', 'app', '--description', 'app tier', '--vpc-id', vpcId]),
    ]);
    assert.match(web.GroupId, /^sg-[0-9a-f]{17}$/);
    assert.notEqual(web.GroupId, app.GroupId);

    const https = await ok(['ec2', 'authorize-security-group-ingress', '--group-id', web.GroupId, '--protocol', 'tcp', '--port', '443', '--cidr', '0.0.0.0/0']);
    assert.equal(https.Return, true);
    assert.equal(https.SecurityGroupRules.length, 1);
    const httpsRule: Rule = https.SecurityGroupRules[0];
    assert.match(httpsRule.SecurityGroupRuleId, /^sgr-[0-9a-f]{17}$/);
    assert.deepEqual(
      [httpsRule.GroupId, httpsRule.IsEgress, httpsRule.IpProtocol, httpsRule.FromPort, httpsRule.ToPort, httpsRule.CidrIpv4],
      [web.GroupId, false, 'tcp', 443, 443, '0.0.0.0/0'],
    );

    const fromWeb = JSON.stringify([{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: web.GroupId, Description: 'from web' }] }]);
    const ref = await ok(['ec2', 'authorize-security-group-ingress', '--group-id', app.GroupId, '--ip-permissions', fromWeb]);
    const refRule: Rule = ref.SecurityGroupRules[0];
    assert.deepEqual(refRule.ReferencedGroupInfo, { GroupId: web.GroupId, UserId: '000000000000' });
    assert.equal(refRule.Description, 'from web');
    assert.equal(refRule.CidrIpv4, undefined);
    assert.deepEqual([refRule.FromPort, refRule.ToPort], [8080, 8080]);

    const dup = await fails(
      ['ec2', 'authorize-security-group-ingress', '--group-id', web.GroupId, '--protocol', 'tcp', '--port', '443', '--cidr', '0.0.0.0/0'],
      'InvalidPermission.Duplicate',
    );
    assert.match(dup, /already exists/);

    const [byPort, byGroupRef, appRules, defaults] = await Promise.all([
      ok(['ec2', 'describe-security-groups', '--filters', 'Name=ip-permission.from-port,Values=443', `Name=vpc-id,Values=${vpcId}`]),
      ok(['ec2', 'describe-security-groups', '--filters', `Name=ip-permission.group-id,Values=${web.GroupId}`]),
      ok(['ec2', 'describe-security-group-rules', '--filters', `Name=group-id,Values=${app.GroupId}`]),
      ok(['ec2', 'describe-security-groups', '--filters', `Name=vpc-id,Values=${vpcId}`, 'Name=group-name,Values=default']),
    ]);
    assert.deepEqual(byPort.SecurityGroups.map((g: { GroupId: string }) => g.GroupId), [web.GroupId]);
    const shown = byPort.SecurityGroups[0];
    assert.deepEqual(
      [shown.GroupName, shown.Description, shown.VpcId, shown.IpPermissions.length, shown.IpPermissions[0].IpRanges],
      ['web', 'web tier', vpcId, 1, [{ CidrIp: '0.0.0.0/0' }]],
    );
    assert.deepEqual(
      shown.IpPermissionsEgress.map((p: { IpProtocol: string; IpRanges: unknown }) => [p.IpProtocol, p.IpRanges]),
      [['-1', [{ CidrIp: '0.0.0.0/0' }]]],
      'a new group allows all outbound traffic',
    );
    assert.deepEqual(byGroupRef.SecurityGroups.map((g: { GroupId: string }) => g.GroupId), [app.GroupId]);
    const rules: Rule[] = appRules.SecurityGroupRules;
    assert.deepEqual(
      rules.map((r) => [r.IsEgress, r.IpProtocol, r.FromPort, r.ToPort, r.CidrIpv4 ?? r.ReferencedGroupInfo?.GroupId]).sort(),
      [
        [false, 'tcp', 8080, 8080, web.GroupId],
        [true, '-1', -1, -1, '0.0.0.0/0'],
      ],
    );
    assert.equal(defaults.SecurityGroups.length, 1);
    const defaultGroupId: string = defaults.SecurityGroups[0].GroupId;

    await fails(['ec2', 'delete-security-group', '--group-id', defaultGroupId], 'CannotDelete');
    await fails(['ec2', 'delete-security-group', '--group-id', web.GroupId], 'DependencyViolation');

    const revokedRef = await ok(['ec2', 'revoke-security-group-ingress', '--group-id', app.GroupId, '--security-group-rule-ids', refRule.SecurityGroupRuleId]);
    assert.equal(revokedRef.Return, true);
    const revokedHttps = await ok(['ec2', 'revoke-security-group-ingress', '--group-id', web.GroupId, '--protocol', 'tcp', '--port', '443', '--cidr', '0.0.0.0/0']);
    assert.equal(revokedHttps.Return, true);
    const emptied = await ok(['ec2', 'describe-security-groups', '--group-ids', web.GroupId, app.GroupId]);
    assert.deepEqual(
      emptied.SecurityGroups.map((g: { IpPermissions: unknown[] }) => g.IpPermissions),
      [[], []],
    );
    await ok(['ec2', 'delete-security-group', '--group-id', web.GroupId]);
    await fails(['ec2', 'describe-security-groups', '--group-ids', web.GroupId], 'InvalidGroup.NotFound');
    await fails(['ec2', 'describe-security-groups', '--group-ids', defaultGroupId, web.GroupId], 'InvalidGroup.NotFound');
  });

  it('denies SSH with a network ACL, moves a subnet onto it and back, and guards the default ACL', async () => {
    const subnet = (await ok(['ec2', 'create-subnet', '--vpc-id', vpcId, '--cidr-block', '10.60.2.0/24'])).Subnet.SubnetId;
    const acl = (await ok(['ec2', 'create-network-acl', '--vpc-id', vpcId])).NetworkAcl;
    assert.match(acl.NetworkAclId, /^acl-[0-9a-f]{17}$/);
    assert.equal(acl.IsDefault, false);
    assert.deepEqual(
      acl.Entries.map((e: { RuleNumber: number; RuleAction: string; Egress: boolean }) => [e.RuleNumber, e.RuleAction, e.Egress]).sort(),
      [
        [32767, 'deny', false],
        [32767, 'deny', true],
      ],
      'a new ACL denies everything',
    );

    await ok([
      'ec2', 'create-network-acl-entry', '--network-acl-id', acl.NetworkAclId, '--ingress', '--rule-number', '100',
      '--protocol', 'tcp', '--port-range', 'From=22,To=22', '--cidr-block', '0.0.0.0/0', '--rule-action', 'deny',
    ]);
    await fails(
      [
        'ec2', 'create-network-acl-entry', '--network-acl-id', acl.NetworkAclId, '--ingress', '--rule-number', '100',
        '--protocol', 'tcp', '--port-range', 'From=23,To=23', '--cidr-block', '0.0.0.0/0', '--rule-action', 'deny',
      ],
      'NetworkAclEntryAlreadyExists',
    );

    const current = (await ok(['ec2', 'describe-network-acls', '--filters', `Name=association.subnet-id,Values=${subnet}`])).NetworkAcls;
    assert.equal(current.length, 1);
    assert.equal(current[0].IsDefault, true, 'a new subnet starts on the default ACL');
    const defaultAclId: string = current[0].NetworkAclId;
    const assoc = current[0].Associations.find((a: { SubnetId: string }) => a.SubnetId === subnet);
    assert.match(assoc.NetworkAclAssociationId, /^aclassoc-[0-9a-f]{17}$/);

    const moved = await ok(['ec2', 'replace-network-acl-association', '--association-id', assoc.NetworkAclAssociationId, '--network-acl-id', acl.NetworkAclId]);
    assert.match(moved.NewAssociationId, /^aclassoc-[0-9a-f]{17}$/);
    assert.notEqual(moved.NewAssociationId, assoc.NetworkAclAssociationId);

    const [denying, onSubnet] = await Promise.all([
      ok(['ec2', 'describe-network-acls', '--filters', `Name=vpc-id,Values=${vpcId}`, 'Name=entry.rule-action,Values=deny', 'Name=entry.port-range.from,Values=22']),
      ok(['ec2', 'describe-network-acls', '--filters', `Name=association.subnet-id,Values=${subnet}`]),
    ]);
    assert.deepEqual(denying.NetworkAcls.map((a: { NetworkAclId: string }) => a.NetworkAclId), [acl.NetworkAclId]);
    const entry = denying.NetworkAcls[0].Entries.find((e: { RuleNumber: number }) => e.RuleNumber === 100);
    assert.deepEqual(entry, { CidrBlock: '0.0.0.0/0', Egress: false, PortRange: { From: 22, To: 22 }, Protocol: '6', RuleAction: 'deny', RuleNumber: 100 });
    assert.deepEqual(onSubnet.NetworkAcls.map((a: { NetworkAclId: string }) => a.NetworkAclId), [acl.NetworkAclId]);
    assert.deepEqual(onSubnet.NetworkAcls[0].Associations, [
      { NetworkAclAssociationId: moved.NewAssociationId, NetworkAclId: acl.NetworkAclId, SubnetId: subnet },
    ]);

    const stderr = await fails(['ec2', 'delete-network-acl', '--network-acl-id', defaultAclId], 'InvalidParameterValue');
    assert.match(stderr, /cannot delete default network ACL/);
    await fails(['ec2', 'delete-network-acl', '--network-acl-id', acl.NetworkAclId], 'DependencyViolation');

    await ok(['ec2', 'replace-network-acl-association', '--association-id', moved.NewAssociationId, '--network-acl-id', defaultAclId]);
    await ok(['ec2', 'delete-network-acl', '--network-acl-id', acl.NetworkAclId]);
    const left = await ok(['ec2', 'describe-network-acls', '--filters', `Name=vpc-id,Values=${vpcId}`]);
    assert.deepEqual(left.NetworkAcls.map((a: { NetworkAclId: string }) => a.NetworkAclId), [defaultAclId]);
  });

  it('creates a network interface at a chosen address, adds secondary addresses, turns off the source/destination check, deletes it', async () => {
    const sg = (await ok(['ec2', 'create-security-group', '--group-name', 'appliance', '--description', 'appliance', '--vpc-id', vpcId])).GroupId;
    const eni = (
      await ok(['ec2', 'create-network-interface', '--subnet-id', subnetId, '--private-ip-address', '10.60.1.10', '--groups', sg, '--description', 'appliance'])
    ).NetworkInterface;
    assert.match(eni.NetworkInterfaceId, /^eni-[0-9a-f]{17}$/);
    assert.deepEqual(
      [eni.PrivateIpAddress, eni.SubnetId, eni.VpcId, eni.AvailabilityZone, eni.Status, eni.SourceDestCheck, eni.Description, eni.InterfaceType],
      ['10.60.1.10', subnetId, vpcId, 'us-east-1a', 'available', true, 'appliance', 'interface'],
    );
    assert.deepEqual(eni.Groups, [{ GroupName: 'appliance', GroupId: sg }]);
    assert.equal(eni.PrivateDnsName, 'ip-10-60-1-10.ec2.internal');

    await fails(['ec2', 'create-network-interface', '--subnet-id', subnetId, '--private-ip-address', '10.60.1.10'], 'InvalidIPAddress.InUse');

    const assigned = await ok(['ec2', 'assign-private-ip-addresses', '--network-interface-id', eni.NetworkInterfaceId, '--secondary-private-ip-address-count', '2']);
    assert.equal(assigned.NetworkInterfaceId, eni.NetworkInterfaceId);
    const secondary: string[] = assigned.AssignedPrivateIpAddresses.map((a: { PrivateIpAddress: string }) => a.PrivateIpAddress);
    assert.equal(secondary.length, 2);
    assert.equal(new Set([...secondary, '10.60.1.10']).size, 3);
    for (const ip of secondary) {
      assert.ok(inCidr(ip, '10.60.1.0/24'), `${ip} is in the subnet`);
      assert.ok(!['10.60.1.0', '10.60.1.1', '10.60.1.2', '10.60.1.3', '10.60.1.255'].includes(ip), `${ip} is not reserved`);
    }

    await ok(['ec2', 'modify-network-interface-attribute', '--network-interface-id', eni.NetworkInterfaceId, '--no-source-dest-check']);
    const [shown, bySecondary, attr] = await Promise.all([
      ok(['ec2', 'describe-network-interfaces', '--network-interface-ids', eni.NetworkInterfaceId]),
      ok(['ec2', 'describe-network-interfaces', '--filters', `Name=addresses.private-ip-address,Values=${secondary[1]}`, '--query', 'NetworkInterfaces[].NetworkInterfaceId']),
      ok(['ec2', 'describe-network-interface-attribute', '--network-interface-id', eni.NetworkInterfaceId, '--attribute', 'sourceDestCheck']),
    ]);
    const ni = shown.NetworkInterfaces[0];
    assert.equal(ni.SourceDestCheck, false);
    assert.deepEqual(
      ni.PrivateIpAddresses.map((a: { PrivateIpAddress: string; Primary: boolean }) => [a.PrivateIpAddress, a.Primary]),
      [['10.60.1.10', true], ...secondary.map((ip) => [ip, false])],
    );
    assert.deepEqual(bySecondary, [eni.NetworkInterfaceId]);
    assert.deepEqual(attr.SourceDestCheck, { Value: false });

    await ok(['ec2', 'delete-network-interface', '--network-interface-id', eni.NetworkInterfaceId]);
    await fails(['ec2', 'describe-network-interfaces', '--network-interface-ids', eni.NetworkInterfaceId], 'InvalidNetworkInterfaceID.NotFound');
    // Its addresses are free again.
    const again = (await ok(['ec2', 'create-network-interface', '--subnet-id', subnetId, '--private-ip-address', '10.60.1.10'])).NetworkInterface;
    assert.equal(again.PrivateIpAddress, '10.60.1.10');
    await ok(['ec2', 'delete-network-interface', '--network-interface-id', again.NetworkInterfaceId]);
  });

  it('launches a NAT image with a public address, waits through stop, start and terminate, and moves an Elastic IP onto it', async () => {
    const images = await ok(['ec2', 'describe-images', '--filters', 'Name=name,Values=*nat*']);
    assert.ok(images.Images.length >= 1);
    for (const img of images.Images) assert.match(img.Name, /nat/);
    const ami: string = images.Images[0].ImageId;
    assert.match(ami, /^ami-[0-9a-f]+$/);

    await fails(['ec2', 'run-instances', '--image-id', 'ami-0123456789abcdef0', '--instance-type', 't3.micro', '--subnet-id', subnetId], 'InvalidAMIID.NotFound');

    const run = await ok([
      'ec2', 'run-instances', '--image-id', ami, '--instance-type', 't3.micro', '--count', '1', '--subnet-id', subnetId,
      '--associate-public-ip-address', '--tag-specifications', 'ResourceType=instance,Tags=[{Key=Name,Value=nat-box}]',
    ]);
    assert.equal(run.Instances.length, 1);
    const launched = run.Instances[0];
    const id: string = launched.InstanceId;
    assert.match(id, /^i-[0-9a-f]{17}$/);
    assert.deepEqual(launched.State, { Code: 0, Name: 'pending' });
    assert.deepEqual([launched.SubnetId, launched.VpcId, launched.ImageId, launched.InstanceType], [subnetId, vpcId, ami, 't3.micro']);
    assert.ok(inCidr(launched.PrivateIpAddress, '10.60.1.0/24'));
    const firstPublic: string = launched.PublicIpAddress;
    assert.ok(parseIpv4(firstPublic) !== undefined, `public address ${firstPublic}`);

    await ok(['ec2', 'wait', 'instance-running', '--instance-ids', id]);
    const query = 'Reservations[].Instances[].{Id:InstanceId,State:State.Name,Public:PublicIpAddress,Name:Tags[?Key==`Name`]|[0].Value}';
    assert.deepEqual(await ok(['ec2', 'describe-instances', '--instance-ids', id, '--query', query]), [
      { Id: id, State: 'running', Public: firstPublic, Name: 'nat-box' },
    ]);

    // An Elastic IP needs the VPC attached to an internet gateway.
    const eip = await ok(['ec2', 'allocate-address', '--domain', 'vpc']);
    assert.match(eip.AllocationId, /^eipalloc-[0-9a-f]{17}$/);
    assert.equal(eip.Domain, 'vpc');
    assert.notEqual(eip.PublicIp, firstPublic);
    await fails(['ec2', 'associate-address', '--instance-id', id, '--allocation-id', eip.AllocationId], 'Gateway.NotAttached');
    const igw = (await ok(['ec2', 'create-internet-gateway'])).InternetGateway.InternetGatewayId;
    await ok(['ec2', 'attach-internet-gateway', '--internet-gateway-id', igw, '--vpc-id', vpcId]);
    const assoc = await ok(['ec2', 'associate-address', '--instance-id', id, '--allocation-id', eip.AllocationId]);
    assert.match(assoc.AssociationId, /^eipassoc-[0-9a-f]{17}$/);
    const [addresses, withEip] = await Promise.all([
      ok(['ec2', 'describe-addresses', '--filters', `Name=instance-id,Values=${id}`]),
      ok(['ec2', 'describe-instances', '--instance-ids', id, '--query', 'Reservations[0].Instances[0].[PublicIpAddress,NetworkInterfaces[0].Association.IpOwnerId]']),
    ]);
    assert.equal(addresses.Addresses.length, 1);
    const a = addresses.Addresses[0];
    assert.deepEqual(
      [a.AllocationId, a.AssociationId, a.InstanceId, a.PublicIp, a.PrivateIpAddress],
      [eip.AllocationId, assoc.AssociationId, id, eip.PublicIp, launched.PrivateIpAddress],
    );
    assert.deepEqual(withEip, [eip.PublicIp, '000000000000'], 'the Elastic IP replaces the public address');
    await fails(['ec2', 'release-address', '--allocation-id', eip.AllocationId], 'InvalidIPAddress.InUse');
    await ok(['ec2', 'disassociate-address', '--association-id', assoc.AssociationId]);
    const [freed, afterEip] = await Promise.all([
      ok(['ec2', 'describe-addresses', '--allocation-ids', eip.AllocationId]),
      ok(['ec2', 'describe-instances', '--instance-ids', id, '--query', 'Reservations[0].Instances[0].PublicIpAddress']),
    ]);
    assert.equal(freed.Addresses[0].AssociationId, undefined);
    assert.equal(freed.Addresses[0].InstanceId, undefined);
    assert.equal(typeof afterEip, 'string', 'the instance gets a new public address');
    assert.notEqual(afterEip, eip.PublicIp);
    await ok(['ec2', 'release-address', '--allocation-id', eip.AllocationId]);
    await fails(['ec2', 'describe-addresses', '--allocation-ids', eip.AllocationId], 'InvalidAllocationID.NotFound');

    const stopping = await ok(['ec2', 'stop-instances', '--instance-ids', id]);
    assert.deepEqual(stopping.StoppingInstances, [{ InstanceId: id, CurrentState: { Code: 64, Name: 'stopping' }, PreviousState: { Code: 16, Name: 'running' } }]);
    await ok(['ec2', 'wait', 'instance-stopped', '--instance-ids', id]);
    const stopped = await ok(['ec2', 'describe-instances', '--instance-ids', id, '--query', 'Reservations[0].Instances[0].[State.Name,PublicIpAddress]']);
    assert.deepEqual(stopped, ['stopped', null], 'a stopped instance has no public address');

    const starting = await ok(['ec2', 'start-instances', '--instance-ids', id]);
    assert.deepEqual(starting.StartingInstances, [{ InstanceId: id, CurrentState: { Code: 0, Name: 'pending' }, PreviousState: { Code: 80, Name: 'stopped' } }]);
    await ok(['ec2', 'wait', 'instance-running', '--instance-ids', id]);

    const terminating = await ok(['ec2', 'terminate-instances', '--instance-ids', id]);
    assert.deepEqual(terminating.TerminatingInstances[0].CurrentState, { Code: 32, Name: 'shutting-down' });
    assert.deepEqual(terminating.TerminatingInstances[0].PreviousState, { Code: 16, Name: 'running' });
    await ok(['ec2', 'wait', 'instance-terminated', '--instance-ids', id]);
    const gone = await ok([
      'ec2', 'describe-instances', '--filters', 'Name=tag:Name,Values=nat-box', 'Name=instance-state-name,Values=terminated',
      '--query', 'Reservations[].Instances[].[InstanceId,SubnetId,NetworkInterfaces]',
    ]);
    assert.deepEqual(gone, [[id, null, []]], 'a terminated instance keeps no place in the network');
    const r = await aws(['ec2', 'start-instances', '--instance-ids', id]);
    assert.notEqual(r.code, 0, 'a terminated instance cannot start');
    assert.match(r.stderr, /\(IncorrectInstanceState\)/);
  });
});
