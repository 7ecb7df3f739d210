/** The inventory sources Bosun ships, registered once: later ones are asked first. */
import { awsEc2Source } from './aws-ec2-source.js';
import { scriptSource } from './script-source.js';
import { pluginOf, registerInventorySource } from './sources.js';

registerInventorySource({
  name: 'yaml',
  accepts: (file) => file.yaml !== undefined && pluginOf(file) === undefined,
  load: async (file) => ({ kind: 'yaml', source: file.yaml! }),
});
registerInventorySource(scriptSource);
registerInventorySource(awsEc2Source);
