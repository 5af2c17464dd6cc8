/**
 * Images: a small, fixed catalogue of public AMIs, the same in every region (Amazon Linux
 * 2023 for x86_64 and arm64, Amazon Linux 2, Ubuntu 22.04, and the Amazon Linux VPC NAT
 * image), served by DescribeImages and used by RunInstances.
 */
import type { DescribeImagesRequest, DescribeImagesResult, Image } from '@aws-sdk/client-ec2';
import { ApiError } from '../../protocol/errors.js';
import type { Handler, RequestContext } from '../context.js';
import { applyFilters, pluck } from './filters.js';
import { paginate } from './paginate.js';

/** The account that publishes Amazon Linux images, and Canonical's. */
export const AMAZON_OWNER_ID = '137112412989';
export const CANONICAL_OWNER_ID = '099720109477';

export interface CatalogImage extends Image {
  ImageId: string;
  Name: string;
  Architecture: 'x86_64' | 'arm64';
  RootDeviceName: string;
}

function linuxImage(opts: {
  id: string;
  name: string;
  description: string;
  architecture: 'x86_64' | 'arm64';
  owner: string;
  alias?: string;
  created: string;
  snapshot: string;
  volumeSize: number;
  rootDevice: string;
  bootMode?: Image['BootMode'];
  imds?: Image['ImdsSupport'];
  deprecation: string;
}): CatalogImage {
  return {
    Architecture: opts.architecture,
    CreationDate: opts.created,
    ImageId: opts.id,
    ImageLocation: `${opts.alias ?? opts.owner}/${opts.name}`,
    ImageType: 'machine',
    Public: true,
    OwnerId: opts.owner,
    PlatformDetails: 'Linux/UNIX',
    UsageOperation: 'RunInstances',
    State: 'available',
    BlockDeviceMappings: [
      {
        DeviceName: opts.rootDevice,
        Ebs: {
          DeleteOnTermination: true,
          SnapshotId: opts.snapshot,
          VolumeSize: opts.volumeSize,
          VolumeType: 'gp3',
          Encrypted: false,
        },
      },
    ],
    Description: opts.description,
    EnaSupport: true,
    Hypervisor: 'xen',
    ImageOwnerAlias: opts.alias,
    Name: opts.name,
    RootDeviceName: opts.rootDevice,
    RootDeviceType: 'ebs',
    SriovNetSupport: 'simple',
    VirtualizationType: 'hvm',
    BootMode: opts.bootMode,
    ImdsSupport: opts.imds,
    DeprecationTime: opts.deprecation,
    ProductCodes: [],
    Tags: [],
  };
}

/** The catalogue, in the order DescribeImages lists it. IDs are stable across releases. */
export const IMAGES: readonly CatalogImage[] = [
  linuxImage({
    id: 'ami-0a2023c0ffee0a864',
    name: 'al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64',
    description: 'Amazon Linux 2023 AMI 2023.6.20241212.0 x86_64 HVM kernel-6.1',
    architecture: 'x86_64',
    owner: AMAZON_OWNER_ID,
    alias: 'amazon',
    created: '2024-12-12T20:32:55.000Z',
    snapshot: 'snap-0a2023c0ffee0a864',
    volumeSize: 8,
    rootDevice: '/dev/xvda',
    bootMode: 'uefi-preferred',
    imds: 'v2.0',
    deprecation: '2025-03-12T20:33:00.000Z',
  }),
  linuxImage({
    id: 'ami-0a2023c0ffeea4864',
    name: 'al2023-ami-2023.6.20241212.0-kernel-6.1-arm64',
    description: 'Amazon Linux 2023 AMI 2023.6.20241212.0 arm64 HVM kernel-6.1',
    architecture: 'arm64',
    owner: AMAZON_OWNER_ID,
    alias: 'amazon',
    created: '2024-12-12T20:32:56.000Z',
    snapshot: 'snap-0a2023c0ffeea4864',
    volumeSize: 8,
    rootDevice: '/dev/xvda',
    bootMode: 'uefi',
    imds: 'v2.0',
    deprecation: '2025-03-12T20:33:00.000Z',
  }),
  linuxImage({
    id: 'ami-0a2c0ffee2024a864',
    name: 'amzn2-ami-kernel-5.10-hvm-2.0.20241217.0-x86_64-gp2',
    description: 'Amazon Linux 2 Kernel 5.10 AMI 2.0.20241217.0 x86_64 HVM gp2',
    architecture: 'x86_64',
    owner: AMAZON_OWNER_ID,
    alias: 'amazon',
    created: '2024-12-18T01:22:10.000Z',
    snapshot: 'snap-0a2c0ffee2024a864',
    volumeSize: 8,
    rootDevice: '/dev/xvda',
    deprecation: '2025-07-01T00:00:00.000Z',
  }),
  linuxImage({
    id: 'ami-0c22040ffee2404a8',
    name: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20241206',
    description: 'Canonical, Ubuntu, 22.04 LTS, amd64 jammy image build on 2024-12-06',
    architecture: 'x86_64',
    owner: CANONICAL_OWNER_ID,
    created: '2024-12-06T06:40:34.000Z',
    snapshot: 'snap-0c22040ffee2404a8',
    volumeSize: 8,
    rootDevice: '/dev/sda1',
    bootMode: 'legacy-bios',
    deprecation: '2026-12-06T06:40:34.000Z',
  }),
  linuxImage({
    id: 'ami-0a7a7c0ffee2018a3',
    name: 'amzn-ami-vpc-nat-2018.03.0.20231218.0-x86_64-ebs',
    description: 'Amazon Linux AMI 2018.03.0.20231218.0 x86_64 VPC NAT HVM EBS',
    architecture: 'x86_64',
    owner: AMAZON_OWNER_ID,
    alias: 'amazon',
    created: '2023-12-19T18:37:01.000Z',
    snapshot: 'snap-0a7a7c0ffee2018a3',
    volumeSize: 8,
    rootDevice: '/dev/xvda',
    deprecation: '2025-12-19T18:37:01.000Z',
  }),
];

const BY_ID = new Map(IMAGES.map((i) => [i.ImageId, i]));
const AMI_ID = /^ami-([0-9a-f]{8}|[0-9a-f]{17})$/;

function imageNotFound(ids: string[]): ApiError {
  if (ids.length === 1) return new ApiError('InvalidAMIID.NotFound', `The image id '[${ids[0]}]' does not exist`);
  return new ApiError('InvalidAMIID.NotFound', `The image ids '[${ids.join(', ')}]' do not exist`);
}

function checkAmiId(id: string): void {
  if (!AMI_ID.test(id)) throw new ApiError('InvalidAMIID.Malformed', `Invalid id: "${id}" (expecting "ami-...")`);
}

/** The catalogue image with this ID: InvalidAMIID.Malformed / .NotFound as AWS otherwise. */
export function requireImage(_ctx: RequestContext, imageId: string): CatalogImage {
  checkAmiId(imageId);
  const image = BY_ID.get(imageId);
  if (!image) throw imageNotFound([imageId]);
  return image;
}

function ownerMatches(ctx: RequestContext, image: CatalogImage, owners: string[]): boolean {
  return owners.some((o) => {
    if (o === 'self') return image.OwnerId === ctx.account;
    if (o === 'amazon') return image.ImageOwnerAlias === 'amazon';
    if (o === 'aws-marketplace' || o === 'aws-backup-vault') return image.ImageOwnerAlias === o;
    return image.OwnerId === o;
  });
}

function checkOwner(o: string): void {
  if (['self', 'amazon', 'aws-marketplace', 'aws-backup-vault'].includes(o) || /^\d{12}$/.test(o)) return;
  throw new ApiError('InvalidUserID.Malformed', `Invalid user id: "${o}"`);
}

const IMAGE_FILTERS = {
  architecture: (i: CatalogImage) => i.Architecture,
  'block-device-mapping.delete-on-termination': (i: CatalogImage) => pluck(i.BlockDeviceMappings, (b) => b.Ebs?.DeleteOnTermination),
  'block-device-mapping.device-name': (i: CatalogImage) => pluck(i.BlockDeviceMappings, (b) => b.DeviceName),
  'block-device-mapping.snapshot-id': (i: CatalogImage) => pluck(i.BlockDeviceMappings, (b) => b.Ebs?.SnapshotId),
  'block-device-mapping.volume-size': (i: CatalogImage) => pluck(i.BlockDeviceMappings, (b) => b.Ebs?.VolumeSize),
  'block-device-mapping.volume-type': (i: CatalogImage) => pluck(i.BlockDeviceMappings, (b) => b.Ebs?.VolumeType),
  'block-device-mapping.encrypted': (i: CatalogImage) => pluck(i.BlockDeviceMappings, (b) => b.Ebs?.Encrypted),
  'creation-date': (i: CatalogImage) => i.CreationDate,
  description: (i: CatalogImage) => i.Description,
  'ena-support': (i: CatalogImage) => i.EnaSupport,
  'free-tier-eligible': (i: CatalogImage) => i.Architecture === 'x86_64' || i.Architecture === 'arm64',
  hypervisor: (i: CatalogImage) => i.Hypervisor,
  'image-allowed': () => true,
  'image-id': (i: CatalogImage) => i.ImageId,
  'image-type': (i: CatalogImage) => i.ImageType,
  'is-public': (i: CatalogImage) => i.Public,
  'kernel-id': (i: CatalogImage) => i.KernelId,
  'manifest-location': (i: CatalogImage) => i.ImageLocation,
  name: (i: CatalogImage) => i.Name,
  'owner-alias': (i: CatalogImage) => i.ImageOwnerAlias,
  'owner-id': (i: CatalogImage) => i.OwnerId,
  platform: (i: CatalogImage) => i.Platform,
  'platform-details': (i: CatalogImage) => i.PlatformDetails,
  'product-code': (i: CatalogImage) => pluck(i.ProductCodes, (p) => p.ProductCodeId),
  'product-code.type': (i: CatalogImage) => pluck(i.ProductCodes, (p) => p.ProductCodeType),
  'ramdisk-id': (i: CatalogImage) => i.RamdiskId,
  'root-device-name': (i: CatalogImage) => i.RootDeviceName,
  'root-device-type': (i: CatalogImage) => i.RootDeviceType,
  'source-image-id': (i: CatalogImage) => i.SourceImageId,
  'source-image-region': (i: CatalogImage) => i.SourceImageRegion,
  'source-instance-id': (i: CatalogImage) => i.SourceInstanceId,
  state: (i: CatalogImage) => i.State,
  'state-reason-code': (i: CatalogImage) => i.StateReason?.Code,
  'state-reason-message': (i: CatalogImage) => i.StateReason?.Message,
  'sriov-net-support': (i: CatalogImage) => i.SriovNetSupport,
  'usage-operation': (i: CatalogImage) => i.UsageOperation,
  'virtualization-type': (i: CatalogImage) => i.VirtualizationType,
};

export function describeImages(ctx: RequestContext, input: DescribeImagesRequest): DescribeImagesResult {
  let images: CatalogImage[] = [...IMAGES];
  if (input.ImageIds && input.ImageIds.length > 0) {
    const ids = [...new Set(input.ImageIds)];
    ids.forEach(checkAmiId);
    const missing = ids.filter((id) => !BY_ID.has(id));
    if (missing.length) throw imageNotFound(missing);
    images = ids.map((id) => BY_ID.get(id)!);
  }
  if (input.Owners && input.Owners.length > 0) {
    input.Owners.forEach(checkOwner);
    images = images.filter((i) => ownerMatches(ctx, i, input.Owners!));
  }
  const selected = applyFilters(images, input.Filters, IMAGE_FILTERS);
  const page = paginate(selected, input);
  return { Images: page.items.map((i) => ({ ...i, BlockDeviceMappings: i.BlockDeviceMappings?.map((b) => ({ ...b, Ebs: { ...b.Ebs } })) })), NextToken: page.nextToken };
}

/** The operations this module serves. */
export const handlers: Record<string, Handler> = {
  DescribeImages: describeImages,
};
