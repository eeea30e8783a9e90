import { ArgsType, Field, Int, registerEnumType } from 'type-graphql';
import { Min } from 'class-validator';

export enum PageStyleEnum {
  GRID = 'grid',
  NONE = 'none',
}
registerEnumType(PageStyleEnum, { name: 'PageStyle', description: 'How a page is drawn: on red ECG paper (GRID) or grid-free (NONE).' });

@ArgsType()
export class RecordPageArgs {
  @Field(() => Int, { description: 'Record to draw.' })
  @Min(1)
  recordId!: number;

  @Field(() => PageStyleEnum, { defaultValue: PageStyleEnum.GRID, description: 'Grid or grid-free.' })
  style!: PageStyleEnum;
}
