/** The one door to p-limit: bounded parallelism across hosts (--forks). */
export { default as pLimit, type LimitFunction } from 'p-limit';
