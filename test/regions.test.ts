/**
 * DescribeRegions, DescribeAvailabilityZones and DescribeAccountAttributes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  DescribeAccountAttributesCommand,
  DescribeAvailabilityZonesCommand,
  type DescribeAvailabilityZonesCommandInput,
  DescribeRegionsCommand,
  type DescribeRegionsCommandInput,
  DescribeVpcsCommand,
  type EC2Client,
  type Filter,
} from '@aws-sdk/client-ec2';
import { apiError, startTestServer, type TestServer } from './helpers.js';

describe('regions, zones and account attributes', () => {
  let srv: TestServer;
  let ec2: EC2Client;

  before(async () => {
    srv = await startTestServer();
    ec2 = srv.ec2();
  });
  after(() => srv.close());

  describe('DescribeRegions', () => {
    const names = async (input: DescribeRegionsCommandInput, client = ec2) =>
      (await client.send(new DescribeRegionsCommand(input))).Regions!.map((r) => r.RegionName!).sort();

    it('lists the regions that need no opt-in, with their endpoints', async () => {
      const { Regions } = await ec2.send(new DescribeRegionsCommand({}));
      const byName = new Map(Regions!.map((r) => [r.RegionName, r]));
      for (const r of ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-northeast-1', 'ap-southeast-2', 'sa-east-1', 'ca-central-1']) {
        assert.deepEqual(byName.get(r), { RegionName: r, Endpoint: `ec2.${r}.amazonaws.com`, OptInStatus: 'opt-in-not-required' }, r);
      }
      for (const r of ['af-south-1', 'ap-east-1', 'me-south-1', 'eu-south-1']) assert.equal(byName.has(r), false, r);
      assert.ok(Regions!.every((r) => r.OptInStatus === 'opt-in-not-required'));
    });

    it('adds the opt-in regions with AllRegions', async () => {
      const { Regions } = await ec2.send(new DescribeRegionsCommand({ AllRegions: true }));
      const byName = new Map(Regions!.map((r) => [r.RegionName, r]));
      assert.equal(byName.get('af-south-1')!.OptInStatus, 'not-opted-in');
      assert.equal(byName.get('us-east-1')!.OptInStatus, 'opt-in-not-required');
      assert.ok(Regions!.length > (await names({})).length);
    });

    it('counts the opt-in region being called as opted in', async () => {
      const hk = srv.ec2({ region: 'ap-east-1' });
      const { Regions } = await hk.send(new DescribeRegionsCommand({}));
      assert.deepEqual(Regions!.find((r) => r.RegionName === 'ap-east-1'), {
        RegionName: 'ap-east-1',
        Endpoint: 'ec2.ap-east-1.amazonaws.com',
        OptInStatus: 'opted-in',
      });
    });

    it('describes the named regions, refusing unknown names', async () => {
      assert.deepEqual(await names({ RegionNames: ['us-east-2', 'eu-west-1'] }), ['eu-west-1', 'us-east-2']);
      assert.deepEqual(await names({ RegionNames: ['me-south-1'] }), ['me-south-1']);
      const e = await apiError(() => ec2.send(new DescribeRegionsCommand({ RegionNames: ['us-east-1', 'zz-nowhere-9', 'yy-nowhere-8'] })));
      assert.deepEqual([e.code, e.message], ['InvalidParameterValue', 'Invalid region: [yy-nowhere-8]']);
    });

    it('supports the documented filters', async () => {
      const cases: Array<[Filter[], (n: string[]) => void]> = [
        [[{ Name: 'region-name', Values: ['eu-west-1'] }], (n) => assert.deepEqual(n, ['eu-west-1'])],
        [[{ Name: 'region-name', Values: ['us-*'] }], (n) => assert.deepEqual(n, ['us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'])],
        [[{ Name: 'endpoint', Values: ['ec2.ca-*'] }], (n) => assert.deepEqual(n, ['ca-central-1'])],
        [[{ Name: 'opt-in-status', Values: ['not-opted-in'] }], (n) => assert.deepEqual(n, [])],
      ];
      for (const [Filters, check] of cases) check(await names({ Filters }));
      const optIn = await names({ AllRegions: true, Filters: [{ Name: 'opt-in-status', Values: ['not-opted-in'] }] });
      assert.ok(optIn.includes('af-south-1') && !optIn.includes('us-east-1'));
      // Names and a filter that disagrees: nothing.
      assert.deepEqual(await names({ RegionNames: ['us-east-1'], Filters: [{ Name: 'region-name', Values: ['eu-west-1'] }] }), []);
      for (const name of ['tag:Name', 'tag-key', 'bogus']) {
        const e = await apiError(() => names({ Filters: [{ Name: name, Values: ['x'] }] }));
        assert.deepEqual([e.code, e.message], ['InvalidParameterValue', `The filter '${name}' is invalid`]);
      }
    });
  });

  describe('DescribeAvailabilityZones', () => {
    const zoneNames = async (input: DescribeAvailabilityZonesCommandInput, client = ec2) =>
      (await client.send(new DescribeAvailabilityZonesCommand(input))).AvailabilityZones!.map((z) => z.ZoneName!);

    it('lists the region\'s zones with AWS\'s fields', async () => {
      const { AvailabilityZones } = await ec2.send(new DescribeAvailabilityZonesCommand({}));
      assert.equal(AvailabilityZones!.length, 6);
      assert.deepEqual(AvailabilityZones![0], {
        State: 'available',
        OptInStatus: 'opt-in-not-required',
        Messages: [],
        RegionName: 'us-east-1',
        ZoneName: 'us-east-1a',
        ZoneId: 'use1-az1',
        GroupName: 'us-east-1-zg-1',
        NetworkBorderGroup: 'us-east-1',
        ZoneType: 'availability-zone',
        GroupLongName: 'US East (N. Virginia) 1',
      });
      assert.deepEqual(AvailabilityZones!.map((z) => z.ZoneId), ['use1-az1', 'use1-az2', 'use1-az3', 'use1-az4', 'use1-az5', 'use1-az6']);
    });

    it('lists each region\'s own zones', async () => {
      assert.deepEqual(await zoneNames({}, srv.ec2({ region: 'eu-central-1' })), ['eu-central-1a', 'eu-central-1b', 'eu-central-1c']);
      assert.deepEqual(await zoneNames({}, srv.ec2({ region: 'us-west-1' })), ['us-west-1b', 'us-west-1c']);
      const tokyo = (await srv.ec2({ region: 'ap-northeast-1' }).send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones!;
      assert.deepEqual(tokyo.map((z) => [z.ZoneName, z.GroupLongName]), [
        ['ap-northeast-1a', 'Asia Pacific (Tokyo) 1'],
        ['ap-northeast-1c', 'Asia Pacific (Tokyo) 1'],
        ['ap-northeast-1d', 'Asia Pacific (Tokyo) 1'],
      ]);
    });

    it('describes zones by name and by ID, refusing unknown ones', async () => {
      assert.deepEqual(await zoneNames({ ZoneNames: ['us-east-1c', 'us-east-1a'] }), ['us-east-1a', 'us-east-1c']);
      assert.deepEqual(await zoneNames({ ZoneIds: ['use1-az2'] }), ['us-east-1b']);
      assert.deepEqual(await zoneNames({ ZoneNames: ['us-east-1a'], ZoneIds: ['use1-az2'] }), ['us-east-1a', 'us-east-1b']);
      const e = await apiError(() => zoneNames({ ZoneNames: ['us-east-1a', 'us-east-1z', 'eu-west-1a'] }));
      assert.deepEqual([e.code, e.message], ['InvalidParameterValue', 'Invalid availability zone: [us-east-1z]']);
      const e2 = await apiError(() => zoneNames({ ZoneIds: ['use1-az1', 'use1-az9'] }));
      assert.deepEqual([e2.code, e2.message], ['InvalidParameterValue', 'Invalid availability zone-id: [use1-az9]']);
    });

    it('supports the documented filters', async () => {
      const cases: Array<[Filter[], string[]]> = [
        [[{ Name: 'zone-name', Values: ['us-east-1b'] }], ['us-east-1b']],
        [[{ Name: 'zone-id', Values: ['use1-az3', 'use1-az4'] }], ['us-east-1c', 'us-east-1d']],
        [[{ Name: 'zone-type', Values: ['availability-zone'] }], ['us-east-1a', 'us-east-1b', 'us-east-1c', 'us-east-1d', 'us-east-1e', 'us-east-1f']],
        [[{ Name: 'zone-type', Values: ['local-zone'] }], []],
        [[{ Name: 'region-name', Values: ['us-east-1'] }, { Name: 'zone-name', Values: ['*f'] }], ['us-east-1f']],
        [[{ Name: 'state', Values: ['available'] }, { Name: 'zone-id', Values: ['use1-az1'] }], ['us-east-1a']],
        [[{ Name: 'state', Values: ['unavailable'] }], []],
        [[{ Name: 'opt-in-status', Values: ['opt-in-not-required'] }, { Name: 'zone-name', Values: ['us-east-1a'] }], ['us-east-1a']],
        [[{ Name: 'group-name', Values: ['us-east-1-zg-1'] }, { Name: 'zone-name', Values: ['us-east-1e'] }], ['us-east-1e']],
        [[{ Name: 'group-long-name', Values: ['US East (N. Virginia) 1'] }, { Name: 'zone-id', Values: ['use1-az2'] }], ['us-east-1b']],
        [[{ Name: 'message', Values: ['*'] }], []],
        [[{ Name: 'parent-zone-id', Values: ['*'] }], []],
        [[{ Name: 'parent-zone-name', Values: ['*'] }], []],
      ];
      for (const [Filters, want] of cases) assert.deepEqual(await zoneNames({ Filters }), want, JSON.stringify(Filters));
      for (const name of ['tag:Name', 'tag-value', 'network-border-group', 'zone']) {
        const e = await apiError(() => zoneNames({ Filters: [{ Name: name, Values: ['x'] }] }));
        assert.deepEqual([e.code, e.message], ['InvalidParameterValue', `The filter '${name}' is invalid`]);
      }
    });
  });

  describe('DescribeAccountAttributes', () => {
    it('lists every attribute', async () => {
      const { AccountAttributes } = await ec2.send(new DescribeAccountAttributesCommand({}));
      const got = Object.fromEntries(AccountAttributes!.map((a) => [a.AttributeName, a.AttributeValues!.map((v) => v.AttributeValue)]));
      const def = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0]!;
      assert.deepEqual(got, {
        'supported-platforms': ['VPC'],
        'default-vpc': [def.VpcId],
        'max-instances': ['20'],
        'vpc-max-security-groups-per-interface': ['5'],
        'max-elastic-ips': ['5'],
        'vpc-max-elastic-ips': ['5'],
      });
    });

    it('answers the attributes asked for, in that order', async () => {
      const { AccountAttributes } = await ec2.send(new DescribeAccountAttributesCommand({ AttributeNames: ['default-vpc', 'supported-platforms'] }));
      assert.deepEqual(AccountAttributes!.map((a) => a.AttributeName), ['default-vpc', 'supported-platforms']);
      assert.deepEqual(AccountAttributes![1]!.AttributeValues, [{ AttributeValue: 'VPC' }]);
    });

    it('refuses an unknown attribute name', async () => {
      for (const n of ['max-unicorns', 'constructor']) {
        const e = await apiError(() => ec2.send(new DescribeAccountAttributesCommand({ AttributeNames: [n as 'default-vpc'] })));
        assert.deepEqual([e.code, e.message], ['InvalidParameterValue', `Value (${n}) for parameter attributeName is invalid.`]);
      }
    });

    it('answers per account and region', async () => {
      const other = srv.ec2({ accessKeyId: '777777777777', region: 'eu-north-1' });
      const { AccountAttributes } = await other.send(new DescribeAccountAttributesCommand({ AttributeNames: ['default-vpc'] }));
      const def = (await other.send(new DescribeVpcsCommand({}))).Vpcs![0]!;
      assert.equal(def.OwnerId, '777777777777');
      assert.equal(AccountAttributes![0]!.AttributeValues![0]!.AttributeValue, def.VpcId);
    });
  });
});
