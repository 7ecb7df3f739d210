/** The one door to commander: the CLI's argument parser. */
export { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
