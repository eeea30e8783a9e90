-- Every committed change to a table the API reads sends a notification on `leadwise_data_changed`
-- (payload: the table). API processes LISTEN and drop their cached responses when one arrives; NOTIFY
-- is delivered only at commit and takes no row lock, so writers neither wait on each other nor on
-- readers. Row-level, not statement-level: an UPDATE that matches nothing (the worker polling the
-- job queue) changes nothing and must not empty the caches. PostgreSQL folds a transaction's
-- identical notifications into one, so a batch of 2,000 predictions sends one.
CREATE FUNCTION "leadwise_notify_data_changed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('leadwise_data_changed', TG_TABLE_NAME);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY[
    'datasets', 'records', 'experiments', 'runs', 'run_params', 'run_tags', 'run_metrics', 'run_latest_metrics',
    'run_artifacts', 'jobs', 'predictions', 'lead_group_attributions', 'llm_responses', 'render_styles', 'rendered_images'
  ] LOOP
    EXECUTE format('CREATE TRIGGER "notify_data_changed" AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION "leadwise_notify_data_changed"()', t);
    EXECUTE format('CREATE TRIGGER "notify_data_truncated" AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION "leadwise_notify_data_changed"()', t);
  END LOOP;
END;
$$;
