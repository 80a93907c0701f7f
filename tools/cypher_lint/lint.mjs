// Lint Cypher statements with Neo4j's own parser (@neo4j-cypher/language-support).
//
// stdin: JSON {"statements": [{"name": "...", "cypher": "...", "parameters": {"p": value}}],
//              "labels": [...], "relationshipTypes": [...]}   (labels/types optional)
// The parser flags every $parameter a statement does not declare in "parameters".
// stdout: one line per diagnostic, "name: error|warning: message (line:col)".
// Exit 0 when no statement has a diagnostic, 1 when one has, 2 on bad input.
// With labels/relationshipTypes given, a label or type outside them is a warning,
// and warnings count: a statement naming a label the schema lacks fails.
import { createRequire } from 'node:module';

// The package's ESM build has extensionless imports Node rejects; its CJS build works.
const require = createRequire(import.meta.url);
const { lintCypherQuery } = require('@neo4j-cypher/language-support');

const SEVERITY = { 1: 'error', 2: 'warning', 3: 'info', 4: 'hint' };

function readStdin() {
  return new Promise((resolve, reject) => {
    let data = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => { data += chunk; });
    process.stdin.on('end', () => resolve(data));
    process.stdin.on('error', reject);
  });
}

function dbSchema(input) {
  const schema = {};
  if (Array.isArray(input.labels)) schema.labels = input.labels;
  if (Array.isArray(input.relationshipTypes)) schema.relationshipTypes = input.relationshipTypes;
  return schema;
}

function lint(statement, schema) {
  const withParameters = { ...schema, parameters: statement.parameters ?? {} };
  return lintCypherQuery(statement.cypher, withParameters).map((d) => {
    const where = d.range ? ` (${d.range.start.line + 1}:${d.range.start.character + 1})` : '';
    return `${statement.name}: ${SEVERITY[d.severity] ?? 'error'}: ${d.message}${where}`;
  });
}

async function main() {
  let input;
  try {
    input = JSON.parse(await readStdin());
  } catch (err) {
    console.error(`lint.mjs: stdin is not JSON: ${err.message}`);
    process.exit(2);
  }
  if (!Array.isArray(input.statements)) {
    console.error('lint.mjs: expected {"statements": [{"name", "cypher"}, ...]}');
    process.exit(2);
  }
  const schema = dbSchema(input);
  const problems = input.statements.flatMap((s) => lint(s, schema));
  for (const line of problems) console.log(line);
  console.error(`lint.mjs: ${input.statements.length} statements, ${problems.length} diagnostics`);
  process.exit(problems.length ? 1 : 0);
}

main();
