/** The one door to listr2: the live task tree shown on a terminal. */
export { Listr, type ListrTask, type ListrTaskWrapper } from 'listr2';
