/**
 * Where object contents live: files under `<dataDir>/s3/objects/` (written and synced before
 * the record that names them is committed), or memory with --in-memory. Records hold only the
 * blob's id. A blob no record names any more is removed after the request that let it go
 * commits; blobs left behind by a crash are swept on start.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../../config.js';

export interface BlobStore {
  write(data: Buffer): string;
  read(id: string): Buffer;
  remove(id: string): void;
  /** Removes every blob whose id `keep` does not hold. */
  sweep(keep: (id: string) => boolean): void;
}

class MemoryBlobs implements BlobStore {
  private readonly blobs = new Map<string, Buffer>();
  write(data: Buffer): string {
    const id = randomUUID();
    this.blobs.set(id, Buffer.from(data));
    return id;
  }
  read(id: string): Buffer {
    const b = this.blobs.get(id);
    if (!b) throw new Error(`object data ${id} is missing`);
    return b;
  }
  remove(id: string): void {
    this.blobs.delete(id);
  }
  sweep(keep: (id: string) => boolean): void {
    for (const id of [...this.blobs.keys()]) if (!keep(id)) this.blobs.delete(id);
  }
}

const BLOB_ID = /^[0-9a-f-]{36}$/;

class FileBlobs implements BlobStore {
  constructor(private readonly dir: string) {}
  private path(id: string): string {
    if (!BLOB_ID.test(id)) throw new Error(`invalid object data id ${id}`);
    return join(this.dir, id);
  }
  write(data: Buffer): string {
    mkdirSync(this.dir, { recursive: true });
    const id = randomUUID();
    const fd = openSync(this.path(id), 'w');
    try {
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return id;
  }
  read(id: string): Buffer {
    return readFileSync(this.path(id));
  }
  remove(id: string): void {
    rmSync(this.path(id), { force: true });
  }
  sweep(keep: (id: string) => boolean): void {
    if (!existsSync(this.dir)) return;
    for (const name of readdirSync(this.dir)) if (BLOB_ID.test(name) && !keep(name)) rmSync(join(this.dir, name), { force: true });
  }
}

const stores = new WeakMap<Config, BlobStore>();

/** The blob store of the server whose configuration this is. */
export function blobStore(config: Config): BlobStore {
  let s = stores.get(config);
  if (!s) {
    s = config.inMemory ? new MemoryBlobs() : new FileBlobs(join(config.dataDir, 's3', 'objects'));
    stores.set(config, s);
  }
  return s;
}
