CREATE TABLE "datasets" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "datasets_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"source_path" text NOT NULL,
	"source_file_hashes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"label_rule" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "datasets_kind_check" CHECK ("kind" IN ('ptbxl', 'cinc', 'manifest'))
);
--> statement-breakpoint
CREATE TABLE "records" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "records_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"dataset_id" bigint NOT NULL,
	"external_id" text NOT NULL,
	"patient_id" text,
	"fold" integer,
	"split" text,
	"label" text NOT NULL,
	"source_codes" jsonb NOT NULL,
	"sampling_rate_hz" double precision NOT NULL,
	"length_samples" integer NOT NULL,
	"age_years" double precision,
	"sex" text,
	"signal_path" text NOT NULL,
	"signal_sha256" text,
	"quality" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "records_split_check" CHECK ("split" IS NULL OR "split" IN ('train', 'val', 'test')),
	CONSTRAINT "records_label_check" CHECK ("label" IN ('normal', 'abnormal', 'excluded')),
	CONSTRAINT "records_sex_check" CHECK ("sex" IS NULL OR "sex" IN ('male', 'female'))
);
--> statement-breakpoint
CREATE TABLE "render_styles" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "render_styles_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"params" jsonb NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rendered_images" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "rendered_images_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"record_id" bigint NOT NULL,
	"style_id" bigint NOT NULL,
	"path" text NOT NULL,
	"sha256" text NOT NULL,
	"width_px" integer NOT NULL,
	"height_px" integer NOT NULL,
	"dpi" double precision NOT NULL,
	"sidecar" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "experiments" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "experiments_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"config" jsonb NOT NULL,
	"config_hash" text NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "experiments_status_check" CHECK ("status" IN ('active', 'finished', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "run_artifacts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "run_artifacts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" bigint NOT NULL,
	"path" text NOT NULL,
	"kind" text NOT NULL,
	"uri" text NOT NULL,
	"sha256" text,
	"size_bytes" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_latest_metrics" (
	"run_id" bigint NOT NULL,
	"key" text NOT NULL,
	"value" double precision NOT NULL,
	"step" bigint NOT NULL,
	"timestamp" timestamp with time zone NOT NULL,
	CONSTRAINT "run_latest_metrics_pkey" PRIMARY KEY("run_id","key")
);
--> statement-breakpoint
CREATE TABLE "run_metrics" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "run_metrics_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" bigint NOT NULL,
	"key" text NOT NULL,
	"value" double precision NOT NULL,
	"step" bigint DEFAULT 0 NOT NULL,
	"timestamp" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_params" (
	"run_id" bigint NOT NULL,
	"key" text NOT NULL,
	"value" text NOT NULL,
	CONSTRAINT "run_params_pkey" PRIMARY KEY("run_id","key")
);
--> statement-breakpoint
CREATE TABLE "run_tags" (
	"run_id" bigint NOT NULL,
	"key" text NOT NULL,
	"value" text NOT NULL,
	CONSTRAINT "run_tags_pkey" PRIMARY KEY("run_id","key")
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "runs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"experiment_id" bigint NOT NULL,
	"parent_run_id" bigint,
	"name" text,
	"kind" text NOT NULL,
	"model" text NOT NULL,
	"seed" integer,
	"status" text DEFAULT 'queued' NOT NULL,
	"backend" text,
	"dataset_id" bigint,
	"start_time" timestamp with time zone,
	"end_time" timestamp with time zone,
	"wall_time_ms" bigint,
	"error" text,
	"checkpoint_uri" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp with time zone,
	CONSTRAINT "runs_kind_check" CHECK ("kind" IN ('train', 'evaluate', 'llm')),
	CONSTRAINT "runs_status_check" CHECK ("status" IN ('queued', 'running', 'finished', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE TABLE "lead_group_attributions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "lead_group_attributions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" bigint NOT NULL,
	"record_id" bigint NOT NULL,
	"group_name" text NOT NULL,
	"attention_weight" double precision,
	"occlusion_delta" double precision,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "predictions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "predictions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" bigint NOT NULL,
	"record_id" bigint NOT NULL,
	"dataset_id" bigint NOT NULL,
	"split" text,
	"true_label" smallint NOT NULL,
	"score" double precision NOT NULL,
	"predicted_label" smallint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "predictions_true_label_check" CHECK ("true_label" IN (0, 1)),
	CONSTRAINT "predictions_predicted_label_check" CHECK ("predicted_label" IN (0, 1)),
	CONSTRAINT "predictions_score_check" CHECK ("score" >= 0 AND "score" <= 1),
	CONSTRAINT "predictions_split_check" CHECK ("split" IS NULL OR "split" IN ('train', 'val', 'test'))
);
--> statement-breakpoint
CREATE TABLE "llm_responses" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "llm_responses_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" bigint,
	"record_id" bigint NOT NULL,
	"model" text NOT NULL,
	"provider" text NOT NULL,
	"prompt_name" text NOT NULL,
	"prompt_hash" text NOT NULL,
	"image_sha256" text NOT NULL,
	"image_style" text NOT NULL,
	"repeat_index" integer DEFAULT 0 NOT NULL,
	"temperature" double precision,
	"raw_text" text,
	"parsed_label" smallint,
	"parsed_score" double precision,
	"score_source" text DEFAULT 'none' NOT NULL,
	"parse_status" text NOT NULL,
	"latency_ms" integer,
	"prompt_tokens" integer,
	"completion_tokens" integer,
	"cost_usd" double precision,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "llm_responses_parsed_label_check" CHECK ("parsed_label" IS NULL OR "parsed_label" IN (0, 1)),
	CONSTRAINT "llm_responses_score_source_check" CHECK ("score_source" IN ('probability', 'logprob', 'none')),
	CONSTRAINT "llm_responses_parse_status_check" CHECK ("parse_status" IN ('parsed', 'unparseable', 'error'))
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "jobs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"run_id" bigint,
	"queue_job_id" text,
	"progress_done" integer DEFAULT 0 NOT NULL,
	"progress_total" integer,
	"checkpoint" jsonb,
	"attempts" integer DEFAULT 0 NOT NULL,
	"locked_by" text,
	"locked_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone,
	"cancel_requested_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "jobs_status_check" CHECK ("status" IN ('queued', 'running', 'finished', 'failed', 'cancelled'))
);
--> statement-breakpoint
ALTER TABLE "records" ADD CONSTRAINT "records_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rendered_images" ADD CONSTRAINT "rendered_images_record_id_records_id_fk" FOREIGN KEY ("record_id") REFERENCES "public"."records"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rendered_images" ADD CONSTRAINT "rendered_images_style_id_render_styles_id_fk" FOREIGN KEY ("style_id") REFERENCES "public"."render_styles"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_artifacts" ADD CONSTRAINT "run_artifacts_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_latest_metrics" ADD CONSTRAINT "run_latest_metrics_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_metrics" ADD CONSTRAINT "run_metrics_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_params" ADD CONSTRAINT "run_params_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "run_tags" ADD CONSTRAINT "run_tags_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_experiment_id_experiments_id_fk" FOREIGN KEY ("experiment_id") REFERENCES "public"."experiments"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_parent_run_id_runs_id_fk" FOREIGN KEY ("parent_run_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lead_group_attributions" ADD CONSTRAINT "lead_group_attributions_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "lead_group_attributions" ADD CONSTRAINT "lead_group_attributions_record_id_records_id_fk" FOREIGN KEY ("record_id") REFERENCES "public"."records"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "predictions" ADD CONSTRAINT "predictions_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "predictions" ADD CONSTRAINT "predictions_record_id_records_id_fk" FOREIGN KEY ("record_id") REFERENCES "public"."records"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "predictions" ADD CONSTRAINT "predictions_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "llm_responses" ADD CONSTRAINT "llm_responses_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "llm_responses" ADD CONSTRAINT "llm_responses_record_id_records_id_fk" FOREIGN KEY ("record_id") REFERENCES "public"."records"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_run_id_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."runs"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "datasets_name_key" ON "datasets" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "records_dataset_external_key" ON "records" USING btree ("dataset_id","external_id");--> statement-breakpoint
CREATE INDEX "records_dataset_split_label_id_idx" ON "records" USING btree ("dataset_id","split","label","id");--> statement-breakpoint
CREATE INDEX "records_dataset_patient_idx" ON "records" USING btree ("dataset_id","patient_id");--> statement-breakpoint
CREATE UNIQUE INDEX "render_styles_hash_key" ON "render_styles" USING btree ("hash");--> statement-breakpoint
CREATE UNIQUE INDEX "rendered_images_record_style_key" ON "rendered_images" USING btree ("record_id","style_id");--> statement-breakpoint
CREATE INDEX "rendered_images_style_id_idx" ON "rendered_images" USING btree ("style_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "experiments_config_hash_key" ON "experiments" USING btree ("config_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "run_artifacts_run_path_key" ON "run_artifacts" USING btree ("run_id","path");--> statement-breakpoint
CREATE INDEX "run_metrics_run_key_step_idx" ON "run_metrics" USING btree ("run_id","key","step");--> statement-breakpoint
CREATE INDEX "runs_experiment_id_idx" ON "runs" USING btree ("experiment_id","id");--> statement-breakpoint
CREATE INDEX "runs_status_idx" ON "runs" USING btree ("status");--> statement-breakpoint
CREATE INDEX "runs_parent_run_idx" ON "runs" USING btree ("parent_run_id");--> statement-breakpoint
CREATE UNIQUE INDEX "lead_group_attributions_run_record_group_key" ON "lead_group_attributions" USING btree ("run_id","record_id","group_name");--> statement-breakpoint
CREATE INDEX "lead_group_attributions_record_idx" ON "lead_group_attributions" USING btree ("record_id");--> statement-breakpoint
CREATE UNIQUE INDEX "predictions_run_record_key" ON "predictions" USING btree ("run_id","record_id");--> statement-breakpoint
CREATE INDEX "predictions_run_id_idx" ON "predictions" USING btree ("run_id","id");--> statement-breakpoint
CREATE INDEX "predictions_run_score_id_idx" ON "predictions" USING btree ("run_id","score","id");--> statement-breakpoint
CREATE INDEX "predictions_run_misclassified_idx" ON "predictions" USING btree ("run_id","id") WHERE "true_label" <> "predicted_label";--> statement-breakpoint
CREATE INDEX "predictions_record_idx" ON "predictions" USING btree ("record_id");--> statement-breakpoint
CREATE UNIQUE INDEX "llm_responses_cache_key" ON "llm_responses" USING btree ("model","prompt_hash","image_sha256","repeat_index");--> statement-breakpoint
CREATE INDEX "llm_responses_run_id_idx" ON "llm_responses" USING btree ("run_id","id");--> statement-breakpoint
CREATE INDEX "llm_responses_record_idx" ON "llm_responses" USING btree ("record_id");--> statement-breakpoint
CREATE INDEX "jobs_status_kind_id_idx" ON "jobs" USING btree ("status","kind","id");--> statement-breakpoint
CREATE INDEX "jobs_run_idx" ON "jobs" USING btree ("run_id");