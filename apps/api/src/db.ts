// The API's single view of libs/db: the handle type and the tables it reads.
export type { LeadwiseDatabase as Db } from '@leadwise/db';
