import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { and, asc, eq, gt, type SQL } from 'drizzle-orm';
import { llmResponses, type LlmResponse } from '@leadwise/db';
import type { ApiContext } from '../context.ts';
import { pageComplexity } from '../limits.ts';
import { decodeCursor, slicePage } from '../pagination/cursor.ts';
import { EcgRecordType } from '../records/record.type.ts';
import { LlmResponsesArgs } from './llm-response.args.ts';
import { LlmResponseConnection, LlmResponseType } from './llm-response.type.ts';

@Resolver(() => LlmResponseType)
export class LlmResponseResolver {
  @Query(() => LlmResponseConnection, {
    description: 'LLM answers with their parsed labels and scores, by id (cursor pagination).',
    complexity: pageComplexity,
  })
  async llmResponses(@Args(() => LlmResponsesArgs) args: LlmResponsesArgs, @Ctx() { db }: ApiContext) {
    const where: SQL[] = [];
    if (args.runId) where.push(eq(llmResponses.runId, args.runId));
    if (args.recordId) where.push(eq(llmResponses.recordId, args.recordId));
    if (args.model) where.push(eq(llmResponses.model, args.model));
    if (args.parseStatus) where.push(eq(llmResponses.parseStatus, args.parseStatus));
    if (args.after) where.push(gt(llmResponses.id, decodeCursor(args.after)[1]));
    const rows = await db
      .select()
      .from(llmResponses)
      .where(where.length ? and(...where) : undefined)
      .orderBy(asc(llmResponses.id))
      .limit(args.first + 1);
    const page = slicePage(rows, args.first, (r) => [null, r.id]);
    return { nodes: page.items, pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
  }

  @FieldResolver(() => EcgRecordType, { description: 'The record whose page was shown.' })
  async record(@Root() response: LlmResponse, @Ctx() { loaders }: ApiContext) {
    return loaders.record.load(response.recordId);
  }
}
