DROP INDEX "run_metrics_run_key_step_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "run_metrics_run_key_step_key" ON "run_metrics" USING btree ("run_id","key","step");