-- llm_responses.score_source stores the LLM arm's five score sources (@leadwise/ecg SCORE_SOURCES)
-- instead of three, so a row read back needs no re-parse to know where its score came from.
-- Existing rows: 'logprob' -> 'label-logprob'; 'probability' -> 'ordinal-scale' for the ordinal
-- prompt (prompt_name 'ordinal-confidence@<version>'), else 'stated-probability'; 'none' with a
-- parsed label -> 'hard-label', its score the label (1/0), as the arm scored it.
ALTER TABLE "llm_responses" DROP CONSTRAINT "llm_responses_score_source_check";--> statement-breakpoint
UPDATE "llm_responses" SET "score_source" = 'label-logprob' WHERE "score_source" = 'logprob';--> statement-breakpoint
UPDATE "llm_responses" SET "score_source" = CASE WHEN "prompt_name" LIKE 'ordinal-confidence@%' THEN 'ordinal-scale' ELSE 'stated-probability' END WHERE "score_source" = 'probability';--> statement-breakpoint
UPDATE "llm_responses" SET "score_source" = 'hard-label', "parsed_score" = "parsed_label" WHERE "score_source" = 'none' AND "parsed_label" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "llm_responses" ADD CONSTRAINT "llm_responses_score_source_check" CHECK ("score_source" IN ('label-logprob', 'stated-probability', 'ordinal-scale', 'hard-label', 'none'));
