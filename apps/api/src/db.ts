// The API's single view of libs/db: the handle its stores take (every query is a libs/db store's).
export type { LeadwiseDatabase as Db } from '@leadwise/db';
