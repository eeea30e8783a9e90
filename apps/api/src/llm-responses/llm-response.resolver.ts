import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import { LlmResponseStore, type LlmResponse } from '@leadwise/db';
import type { ApiContext } from '../context.ts';
import { pageComplexity } from '../limits.ts';
import { decodeCursor, encodeCursor } from '../pagination/cursor.ts';
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
    const page = await new LlmResponseStore(db).list(
      {
        ...(args.runId ? { runId: args.runId } : {}),
        ...(args.recordId ? { recordId: args.recordId } : {}),
        ...(args.model ? { model: args.model } : {}),
        ...(args.parseStatus ? { parseStatus: args.parseStatus } : {}),
      },
      { afterId: args.after ? decodeCursor(args.after)[1] : null, limit: args.first },
    );
    const last = page.items.at(-1);
    return { nodes: page.items, pageInfo: { hasNextPage: page.nextCursor !== null, endCursor: last === undefined ? null : encodeCursor([null, last.id]) } };
  }

  @FieldResolver(() => EcgRecordType, { description: 'The record whose page was shown.' })
  async record(@Root() response: LlmResponse, @Ctx() { loaders }: ApiContext) {
    return loaders.record.load(response.recordId);
  }
}
