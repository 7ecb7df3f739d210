/**
 * The Ansible-shape inventory document of a fleet (contracts.md), as an object: the lab writes it
 * as YAML to inventory/lab.yml and tests hand it to the inventory loader.
 */

export interface InventoryGroup {
  hosts?: Record<string, Record<string, unknown> | null>;
  vars?: Record<string, unknown>;
  children?: Record<string, InventoryGroup>;
}

export interface InventoryDocument {
  all: InventoryGroup;
}

export interface FleetInventoryInput {
  user: string;
  privateKeyPath: string;
  knownHostsPath: string;
  /** Bastion hops in order: the first as dialled from here, the next from the first. */
  bastions: { address: string; port: number }[];
  hosts: string[];
  /** Group the hosts are put in. */
  group?: string;
}

export function fleetInventory(input: FleetInventoryInput): InventoryDocument {
  const bastions = input.bastions.map((hop) =>
    hop.port === 22 ? { host: hop.address } : { host: hop.address, port: hop.port },
  );
  const hosts: Record<string, Record<string, unknown>> = {};
  for (const name of input.hosts) hosts[name] = {};
  return {
    all: {
      vars: {
        bosun_user: input.user,
        bosun_private_key_file: input.privateKeyPath,
        bosun_known_hosts_file: input.knownHostsPath,
        bosun_bastions: bastions,
      },
      children: { [input.group ?? 'lab']: { hosts } },
    },
  };
}
