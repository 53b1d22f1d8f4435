// Runs one query with Comunica against a SPARQL endpoint and prints the answer as JSON on stdout:
// rows as {variable: {type, value}}, a boolean, or triples as N-Triples-like [s, p, o] strings.
//   node comunica.mjs <endpoint> <select|ask|graph> <query>
import { QueryEngine } from "@comunica/query-sparql";

const [endpoint, form, query] = process.argv.slice(2);
const engine = new QueryEngine();
const context = { sources: [{ type: "sparql", value: endpoint }], lenient: false };
const term = (t) => ({ type: t.termType, value: t.value });

if (form === "select") {
  const bindings = await (await engine.queryBindings(query, context)).toArray();
  const rows = bindings.map((b) => Object.fromEntries([...b].map(([v, t]) => [v.value, term(t)])));
  console.log(JSON.stringify({ rows }));
} else if (form === "ask") {
  console.log(JSON.stringify({ boolean: await engine.queryBoolean(query, context) }));
} else {
  const quads = await (await engine.queryQuads(query, context)).toArray();
  console.log(JSON.stringify({ triples: quads.map((q) => [term(q.subject), term(q.predicate), term(q.object)]) }));
}
