/**
 * Objects kept so that V8 keeps the code compiled for them.
 *
 * V8 gives the objects of a class a hidden class (a "map") and compiles the hot code against it.
 * The map of a class whose objects all die can be collected, and the code compiled against it
 * is dropped with it (`node --trace-deopt`: "weak objects"). A server makes and lets go of all the
 * objects of some classes in every batch (the batch's observation source, its deliveries'
 * lines, its store transactions, the engine's walks): between two batches, a garbage
 * collection took their maps, and the next batch compiled the same code again, on CPU time the
 * batch pays for. One object of each such class, made at startup by its own constructor and
 * kept here (keepShape), keeps the map alive; a batch's own object kept until the next batch's
 * (keepUntilNext) does where code reads that very object.
 */
const kept: object[] = [];

export function keepShape<T extends object>(o: T): T {
  kept.push(o);
  return o;
}

const latest = new Map<string, unknown>();

/**
 * Keeps a batch's object (`what` names which) until the next batch's takes its place: for
 * objects whose class other code makes too, or that the compiled code reads as that very
 * object, where an object made at startup would not do.
 */
export function keepUntilNext(what: string, o: unknown): void {
  latest.set(what, o);
}
