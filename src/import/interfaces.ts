/**
 * Network interfaces, instances and Elastic IPs. Interfaces hold the addresses (private,
 * public, Elastic IP associations) and the attachment to their instance; instances keep only
 * what is theirs and read the rest from their interfaces, as the families store them. Every
 * public IPv4 address goes into the global registry (scope global/global).
 */
import { privateDnsName } from '../services/ec2/network-interfaces.js';
import { Check, clean, type ExportFile, idPattern, type Json, type ScopeImport } from './context.js';

const ENI_ID = idPattern('eni');
const AMAZON = 'amazon';

/** Claims a public IPv4 address in the global registry for this scope. */
export function registerPublicIp(s: ScopeImport, c: Check, ip: string | undefined): void {
  if (!ip) return;
  const registry = s.state.other('global', 'global');
  const held = registry.get<{ account: string; region: string }>('public-ip', ip);
  if (held && (held.account !== s.account || held.region !== s.region)) {
    c.fail(`public IP ${ip} is already held by account ${held.account} in ${held.region}`);
  }
  registry.put('public-ip', ip, { ip, account: s.account, region: s.region });
}

function association(a: Json): Json | undefined {
  if (!a || typeof a.PublicIp !== 'string') return undefined;
  const out: Json = { IpOwnerId: a.IpOwnerId ?? AMAZON, PublicIp: a.PublicIp };
  if (a.AllocationId) out.AllocationId = a.AllocationId;
  if (a.AssociationId) out.AssociationId = a.AssociationId;
  if (a.PublicDnsName !== undefined) out.PublicDnsName = a.PublicDnsName;
  if (a.CarrierIp) out.CarrierIp = a.CarrierIp;
  if (a.CustomerOwnedIp) out.CustomerOwnedIp = a.CustomerOwnedIp;
  return out;
}

/** An interface record from a NetworkInterface (describe-network-interfaces) or an instance's interface. */
function interfaceRecord(s: ScopeImport, c: Check, item: Json, fallback: { az?: string; instanceId?: string; instanceOwner?: string } = {}): Json {
  const id = c.str(item, 'NetworkInterfaceId', { pattern: ENI_ID });
  const subnetId = c.str(item, 'SubnetId', { pattern: idPattern('subnet') });
  const subnet = s.state.get<Json>('subnet', subnetId);
  if (!subnet || !s.imported('subnet', subnetId)) c.fail(`its subnet ${subnetId} is not in the export (describe-subnets)`);
  const primaryIp = c.str(item, 'PrivateIpAddress');
  const addresses = c.list(item, 'PrivateIpAddresses').map((p: Json) => {
    const out: Json = {
      Primary: p.Primary === true,
      PrivateIpAddress: c.str(p, 'PrivateIpAddress'),
      PrivateDnsName: p.PrivateDnsName ?? privateDnsName(s.region, p.PrivateIpAddress),
    };
    const a = association(p.Association);
    if (a) out.Association = a;
    return out;
  });
  if (addresses.length === 0) addresses.push({ Primary: true, PrivateIpAddress: primaryIp, PrivateDnsName: privateDnsName(s.region, primaryIp) });
  const primary = addresses.find((p: Json) => p.Primary);
  if (!primary || primary.PrivateIpAddress !== primaryIp) c.fail(`PrivateIpAddress ${primaryIp} is not the primary address of PrivateIpAddresses`);
  const assoc = association(item.Association) ?? primary.Association;
  if (assoc && !primary.Association) primary.Association = assoc;
  let attachment: Json | undefined;
  if (item.Attachment && (item.Attachment.Status === 'attached' || item.Attachment.Status === 'attaching')) {
    const a = item.Attachment;
    attachment = {
      AttachTime: c.time(a, 'AttachTime', s.run.now),
      AttachmentId: c.str(a, 'AttachmentId', { pattern: /^(eni|ela)-attach-[0-9a-f]+$/ }),
      DeleteOnTermination: a.DeleteOnTermination ?? false,
      DeviceIndex: c.num(a, 'DeviceIndex'),
      // Instances' attachments have a network card; a service's interface shows none.
      NetworkCardIndex: a.NetworkCardIndex ?? (a.InstanceId || fallback.instanceId ? 0 : undefined),
      InstanceId: a.InstanceId ?? fallback.instanceId,
      InstanceOwnerId: a.InstanceOwnerId ?? fallback.instanceOwner ?? (a.InstanceId || fallback.instanceId ? s.account : undefined),
      Status: 'attached',
    };
  }
  const type = item.InterfaceType ?? 'interface';
  const record: Json = {
    ...item,
    AvailabilityZone: item.AvailabilityZone ?? subnet.AvailabilityZone ?? fallback.az,
    Description: item.Description ?? '',
    Groups: c.list(item, 'Groups').map((g: Json) => ({ GroupId: c.str(g, 'GroupId', { pattern: idPattern('sg') }), GroupName: g.GroupName })),
    InterfaceType: type,
    Ipv6Addresses: c.list(item, 'Ipv6Addresses').map((a: Json) => ({ Ipv6Address: a.Ipv6Address, IsPrimaryIpv6: a.IsPrimaryIpv6 ?? false })),
    NetworkInterfaceId: id,
    OwnerId: item.OwnerId ?? s.account,
    PrivateDnsName: item.PrivateDnsName ?? primary.PrivateDnsName,
    PrivateIpAddress: primaryIp,
    PrivateIpAddresses: addresses,
    RequesterManaged: item.RequesterManaged ?? false,
    SourceDestCheck: item.SourceDestCheck ?? true,
    Status: attachment ? 'in-use' : 'available',
    SubnetId: subnetId,
    VpcId: item.VpcId ?? subnet.VpcId,
    Association: assoc,
    Attachment: attachment,
    Tags: c.tags(item, 'TagSet') ?? c.tags(item, 'Tags'),
    // An Amazon-owned address (no allocation) is the one given at launch: it comes back on start.
    _autoPublicIp: (assoc && assoc.IpOwnerId === AMAZON && !assoc.AllocationId) || undefined,
  };
  delete record.TagSet;
  if (record.VpcId !== subnet.VpcId) c.fail(`VpcId ${record.VpcId} is not its subnet's VPC ${subnet.VpcId}`);
  return record;
}

function putInterface(s: ScopeImport, c: Check, record: Json): void {
  for (const p of record.PrivateIpAddresses) registerPublicIp(s, c, p.Association?.PublicIp);
  registerPublicIp(s, c, record.Association?.PublicIp);
  s.put('network-interface', record.NetworkInterfaceId, clean(record));
}

export function importNetworkInterfaces(s: ScopeImport): void {
  const seenIps = new Map<string, string>();
  for (const { file, item, index } of s.items('NetworkInterfaces')) {
    const c = new Check(file, item?.NetworkInterfaceId ?? `item ${index}`);
    const record = interfaceRecord(s, c, item);
    for (const p of record.PrivateIpAddresses) {
      const key = `${record.SubnetId} ${p.PrivateIpAddress}`;
      const other = seenIps.get(key);
      if (other) c.fail(`private address ${p.PrivateIpAddress} is also held by ${other}`);
      seenIps.set(key, record.NetworkInterfaceId);
    }
    putInterface(s, c, record);
  }
}

/** Instance fields the instances family derives from the interfaces (never stored). */
const DERIVED = [
  'NetworkInterfaces',
  'SecurityGroups',
  'PrivateIpAddress',
  'PrivateDnsName',
  'PublicIpAddress',
  'PublicDnsName',
  'SourceDestCheck',
  'StateReason',
  'StateTransitionReason',
];

const STATE_CODES: Record<string, number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopping: 64, stopped: 80 };
/** States on their way somewhere: imported as where they are going. */
const SETTLED: Record<string, string> = { pending: 'running', stopping: 'stopped', 'shutting-down': 'terminated' };

export function importInstances(s: ScopeImport): void {
  for (const { file, item: reservation, index } of s.items('Reservations')) {
    const rc = new Check(file, reservation?.ReservationId ?? `reservation ${index}`);
    const reservationId = rc.str(reservation, 'ReservationId', { pattern: idPattern('r') });
    for (const inst of rc.list(reservation, 'Instances')) {
      const c = new Check(file, inst?.InstanceId ?? `${reservationId} instance`);
      importInstance(s, c, file, inst, reservationId, reservation.OwnerId ?? s.account);
    }
  }
}

function importInstance(s: ScopeImport, c: Check, file: ExportFile, inst: Json, reservationId: string, owner: string): void {
  const id = c.str(inst, 'InstanceId', { pattern: idPattern('i') });
  const shown = c.str(inst?.State, 'Name', { pattern: /^(pending|running|shutting-down|terminated|stopping|stopped)$/ });
  const name = SETTLED[shown] ?? shown;
  const launch = c.time(inst, 'LaunchTime');
  const record: Json = { ...inst };
  for (const k of DERIVED) delete record[k];
  Object.assign(record, {
    InstanceId: id,
    ImageId: inst.ImageId ?? '',
    InstanceType: c.str(inst, 'InstanceType'),
    State: { Code: STATE_CODES[name], Name: name },
    StateTransitionReason: '',
    LaunchTime: launch,
    UsageOperationUpdateTime: c.time(inst, 'UsageOperationUpdateTime', new Date(launch)),
    Placement: { ...(inst.Placement ?? {}) },
    SubnetId: inst.SubnetId ?? '',
    VpcId: inst.VpcId ?? '',
    Tags: c.tags(inst),
    _reservationId: reservationId,
    _firstRunningAt: launch,
    _disableApiTermination: false,
    _disableApiStop: false,
    _shutdownBehavior: 'stop',
  });
  if (name !== 'running' && (inst.StateTransitionReason || inst.StateReason)) {
    record._reason = {
      transition: inst.StateTransitionReason ?? '',
      code: inst.StateReason?.Code ?? '',
      message: inst.StateReason?.Message ?? '',
    };
  }
  if (name === 'terminated') record._terminatedAt = s.run.now.toISOString();
  else {
    if (!inst.SubnetId || !s.imported('subnet', inst.SubnetId)) c.fail(`its subnet ${inst.SubnetId} is not in the export (describe-subnets)`);
    // Interfaces the export does not describe on their own come from the instance's description.
    for (const ni of c.list(inst, 'NetworkInterfaces')) {
      const eniId = c.str(ni, 'NetworkInterfaceId', { pattern: ENI_ID });
      const existing = s.state.get<Json>('network-interface', eniId);
      if (existing) {
        if (existing.Attachment?.InstanceId !== id) c.fail(`its interface ${eniId} is attached to ${existing.Attachment?.InstanceId ?? 'nothing'} in describe-network-interfaces`);
        continue;
      }
      const eniItem = { ...ni, AvailabilityZone: inst.Placement?.AvailabilityZone, TagSet: [] };
      const rec = interfaceRecord(s, new Check(file, `${id} ${eniId}`), eniItem, { instanceId: id, instanceOwner: owner });
      if (rec.Attachment) rec.Attachment.InstanceId = id;
      putInterface(s, c, rec);
    }
  }
  s.put('instance', id, clean(record));
  // A stopped instance shows no public address; it gets one again on start when it was launched
  // with one, which the export does not say: its subnet's setting is taken as the launch's.
  if (name === 'stopped') {
    const primary = s.state.list<Json>('network-interface').find((e) => e.Attachment?.InstanceId === id && e.Attachment.DeviceIndex === 0);
    if (primary && !primary.Association && s.state.get<Json>('subnet', primary.SubnetId)?.MapPublicIpOnLaunch === true) {
      s.state.edit<Json>('network-interface', primary.NetworkInterfaceId)!._autoPublicIp = true;
    }
  }
}

/** Attachments to instances the export does not describe: the interface is shown detached. */
export function checkAttachments(s: ScopeImport): void {
  for (const id of s.ids.get('network-interface') ?? []) {
    const e = s.state.get<Json>('network-interface', id)!;
    const instanceId = e.Attachment?.InstanceId;
    if (!instanceId || s.imported('instance', instanceId)) continue;
    const rec = s.state.edit<Json>('network-interface', id)!;
    delete rec.Attachment;
    rec.Status = 'available';
    s.warn(`interface ${id} is attached to instance ${instanceId}, which the export does not describe; imported detached`);
  }
}

// ---------------------------------------------------------------------------------------
// Elastic IPs

export function importAddresses(s: ScopeImport): void {
  for (const { file, item, index } of s.items('Addresses')) {
    const c = new Check(file, item?.AllocationId ?? item?.PublicIp ?? `item ${index}`);
    const id = c.str(item, 'AllocationId', { pattern: idPattern('eipalloc') });
    const ip = c.str(item, 'PublicIp');
    const record: Json = {
      AllocationId: id,
      Domain: item.Domain ?? 'vpc',
      PublicIp: ip,
      PublicIpv4Pool: item.PublicIpv4Pool ?? 'amazon',
      NetworkBorderGroup: item.NetworkBorderGroup ?? s.region,
      Tags: c.tags(item),
    };
    registerPublicIp(s, c, ip);
    const eniId = item.NetworkInterfaceId as string | undefined;
    if (item.AssociationId && eniId) {
      const eni = s.state.get<Json>('network-interface', eniId);
      if (!eni) {
        s.warn(`Elastic IP ${id} is associated with interface ${eniId}, which the export does not describe; imported unassociated`);
      } else {
        const privateIp = item.PrivateIpAddress ?? eni.PrivateIpAddress;
        const slot = eni.PrivateIpAddresses.find((p: Json) => p.PrivateIpAddress === privateIp);
        if (!slot) c.fail(`private address ${privateIp} is not an address of interface ${eniId}`);
        Object.assign(record, {
          AssociationId: c.str(item, 'AssociationId', { pattern: idPattern('eipassoc') }),
          NetworkInterfaceId: eniId,
          NetworkInterfaceOwnerId: item.NetworkInterfaceOwnerId ?? eni.OwnerId,
          PrivateIpAddress: privateIp,
        });
        if (eni.Attachment?.InstanceId) record.InstanceId = eni.Attachment.InstanceId;
        // The interface shows the association too (describe-network-interfaces does).
        if (slot.Association?.AssociationId !== record.AssociationId) {
          const rec = s.state.edit<Json>('network-interface', eniId)!;
          const assoc = { AllocationId: id, AssociationId: record.AssociationId, IpOwnerId: s.account, PublicIp: ip };
          for (const p of rec.PrivateIpAddresses) if (p.PrivateIpAddress === privateIp) p.Association = { ...assoc };
          if (slot.Primary) {
            rec.Association = { ...assoc };
            delete rec._autoPublicIp;
          }
        }
      }
    }
    s.put('elastic-ip', id, clean(record));
  }
}
