/**
 * Whether Bosun runs as a Packer provisioner. Packer's `shell` and `shell-local` provisioners
 * export PACKER_BUILD_NAME and PACKER_BUILDER_TYPE to the command they run; saying so at the top
 * of the output tells a reader of Packer's log which build the tasks and recap below belong to.
 */
export function packerBuildNotice(env: NodeJS.ProcessEnv): string | undefined {
  const name = env.PACKER_BUILD_NAME;
  const builder = env.PACKER_BUILDER_TYPE;
  if (!name && !builder) return undefined;
  const parts = [name ? `build "${name}"` : undefined, builder ? `builder ${builder}` : undefined];
  return `bosun: running inside a Packer build (${parts.filter(Boolean).join(', ')})\n`;
}
