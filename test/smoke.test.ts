import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateVpcCommand, DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { errorCode, startTestServer, type TestServer } from './helpers.js';

describe('smoke', () => {
  let srv: TestServer;
  before(async () => {
    srv = await startTestServer();
  });
  after(() => srv.close());

  it('serves EC2 and STS on one endpoint', async () => {
    const ec2 = srv.ec2();
    const { Vpc } = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.1.0.0/16' }));
    assert.match(Vpc!.VpcId!, /^vpc-[0-9a-f]{17}$/);
    const { Vpcs } = await ec2.send(new DescribeVpcsCommand({}));
    assert.equal(Vpcs!.length, 2, 'the default VPC and the new one');
    const who = await srv.sts().send(new GetCallerIdentityCommand({}));
    assert.equal(who.Account, '000000000000');
    assert.equal(await errorCode(() => ec2.send(new CreateVpcCommand({ CidrBlock: 'nope' }))), 'InvalidParameterValue');
  });
});
