// A bench child: dynalite in its own process, as DynamoDB is its own service in production.
import { startEmbeddedDynamo } from '../src/store/embedded-dynamodb.js';
import { parentMessages, tellParent } from './bench-child.js';

const embedded = await startEmbeddedDynamo({});
const messages = parentMessages()[Symbol.asyncIterator]();
await messages.next();
tellParent({ endpoint: embedded.endpoint });
// Runs until the parent says anything more or closes stdin.
await messages.next();
await embedded.close();
process.exit(0);
