/** The inventory sources Bosun ships, registered once: later ones are asked first. */
import { awsEc2Source } from './aws-ec2-source.js';
import { scriptSource } from './script-source.js';
import { pluginOf, registerInventorySource } from './sources.js';

registerInventorySource({
  name: 'yaml',
  // A group may be called `plugin`: only a name (a string) makes the file a plugin's.
  accepts: (file) => file.yaml !== undefined && typeof pluginOf(file) !== 'string',
  load: async (file) => ({ kind: 'yaml', source: file.yaml! }),
});
registerInventorySource(scriptSource);
registerInventorySource(awsEc2Source);
