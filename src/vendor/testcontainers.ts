/**
 * The one door to testcontainers. Two of its defaults would reach a registry, and images here are
 * local only: Ryuk (the reaper sidecar) is turned off, fleets remove their own containers instead;
 * and the Docker host is given, because inside a container testcontainers otherwise runs an
 * `alpine` helper (pulled from Docker Hub) to find the gateway. We only publish on 127.0.0.1.
 * testcontainers reads both when the first client is created, so setting them when this module
 * loads is early enough.
 */
process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';

export {
  GenericContainer,
  getContainerRuntimeClient,
  ImageName,
  Network,
  type StartedNetwork,
  type StartedTestContainer,
  Wait,
} from 'testcontainers';
