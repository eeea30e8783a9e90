import { SCORE_SOURCES } from '@leadwise/db';
import { pageNodesComplexity } from '../limits.ts';
import { Field, Float, Int, ObjectType } from 'type-graphql';
import { BinaryLabelEnum } from '../common/enums.ts';
import { DateTimeScalar } from '../common/scalars.ts';
import { PageInfo } from '../pagination/page-info.type.ts';

@ObjectType('LlmResponse', { description: "One multimodal LLM answer about one rendered ECG page, with the label and score parsed from it." })
export class LlmResponseType {
  @Field(() => Int, { description: 'Database id.' })
  id!: number;

  @Field(() => Int, { nullable: true, description: 'Run that first asked (later runs reuse cached answers).' })
  runId!: number | null;

  @Field(() => Int, { description: 'Record whose page was shown.' })
  recordId!: number;

  @Field(() => String, { description: 'Model id, e.g. `gpt-4.1`.' })
  model!: string;

  @Field(() => String, { description: 'Provider: `openai`, `gemini` or `compatible`.' })
  provider!: string;

  @Field(() => String, { description: 'Prompt name in the versioned prompt registry.' })
  promptName!: string;

  @Field(() => String, { description: 'SHA-256 of the exact prompt text.' })
  promptHash!: string;

  @Field(() => String, { description: 'Page style shown: grid or grid-free (`none`).' })
  imageStyle!: string;

  @Field(() => Int, { description: 'Repeat index when the same image was asked several times.' })
  repeatIndex!: number;

  @Field(() => String, { nullable: true, description: 'The answer as returned.' })
  rawText!: string | null;

  @Field(() => BinaryLabelEnum, { nullable: true, description: 'Label parsed from the answer; null when it could not be parsed.' })
  parsedLabel!: BinaryLabelEnum | null;

  @Field(() => Float, { nullable: true, description: 'The score used for ranking: P(ABNORMAL) from the answer or its token log-probabilities (1 or 0 from the label for `hard-label`).' })
  parsedScore!: number | null;

  @Field(() => String, { description: `Where the score came from: ${SCORE_SOURCES.map((source) => `\`${source}\``).join(', ')} (none: no score).` })
  scoreSource!: string;

  @Field(() => String, { description: '`parsed`, `unparseable` (answer not understood) or `error` (no answer).' })
  parseStatus!: string;

  @Field(() => Int, { nullable: true, description: 'Request latency in milliseconds.' })
  latencyMs!: number | null;

  @Field(() => Float, { nullable: true, description: 'Cost of the request in US dollars, when known.' })
  costUsd!: number | null;

  @Field(() => String, { nullable: true, description: 'Error from the provider, when the request failed.' })
  error!: string | null;

  @Field(() => DateTimeScalar, { description: 'When the answer was received.' })
  createdAt!: Date;
}

@ObjectType({ description: 'A page of LLM responses.' })
export class LlmResponseConnection {
  @Field(() => [LlmResponseType], { description: 'Responses of this page, by id.', complexity: pageNodesComplexity })
  nodes!: LlmResponseType[];

  @Field(() => PageInfo, { description: 'Cursor of the next page.' })
  pageInfo!: PageInfo;
}
