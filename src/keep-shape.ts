/**
 * One object of a class, kept for its hidden class alone.
 *
 * V8 gives the objects of a class a hidden class (a "map") and compiles the hot code against it.
 * The map of a class whose objects all die can be collected, and the code compiled against it
 * is dropped with it (`node --trace-deopt`: "weak objects"). A server makes and lets go of all the
 * objects of some classes in every batch (the batch's observation source, its deliveries'
 * lines, its store transactions, the engine's walks): between two batches, a garbage
 * collection took their maps, and the next batch compiled the same code again, on CPU time the
 * batch pays for. One object of each such class, made at startup by its own constructor and
 * kept here, keeps the map alive.
 */
const kept: object[] = [];

export function keepShape<T extends object>(o: T): T {
  kept.push(o);
  return o;
}
