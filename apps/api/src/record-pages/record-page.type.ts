import { Extensions, Field, Float, Int, ObjectType } from 'type-graphql';
import { PageStyleEnum } from './record-page.args.ts';

@ObjectType('PageLeadBox', { description: "One lead's panel on a rendered page, as fractions (0 to 1) of the page's width and height." })
export class PageLeadBoxType {
  @Field(() => String, { description: 'Lead name, e.g. `II` or `V1`.' })
  lead!: string;

  @Field(() => String, { description: 'Anatomical lead group (`inferior`, `lateral`, `septal`, `anterior`, `aVR`).' })
  groupName!: string;

  @Field(() => String, { description: '`panel` for the twelve short panels, `rhythm` for the rhythm strip.' })
  kind!: string;

  @Field(() => Float, { description: 'Left edge.' })
  x0!: number;

  @Field(() => Float, { description: 'Top edge.' })
  y0!: number;

  @Field(() => Float, { description: 'Right edge.' })
  x1!: number;

  @Field(() => Float, { description: 'Bottom edge.' })
  y1!: number;
}

@ObjectType('RecordPage', { description: 'The printed 12-lead page of a record, rendered on first request and cached in the render store.' })
export class RecordPageType {
  @Field(() => Int, { description: 'Record drawn.' })
  recordId!: number;

  @Field(() => PageStyleEnum, { description: 'Grid or grid-free.' })
  style!: PageStyleEnum;

  @Field(() => String, { description: 'Path of the PNG on this server, e.g. `/records/12/page.png?style=grid`.' })
  imageUrl!: string;

  @Field(() => Int, { description: 'Image width in pixels.' })
  widthPx!: number;

  @Field(() => Int, { description: 'Image height in pixels.' })
  heightPx!: number;

  // 12 panels and at most 3 rhythm strips.
  @Extensions({ maxItems: 15 })
  @Field(() => [PageLeadBoxType], { description: 'Lead panels (12 panels, then the rhythm strip).' })
  leadBoxes!: PageLeadBoxType[];
}
