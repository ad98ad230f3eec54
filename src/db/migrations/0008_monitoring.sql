CREATE TABLE "audit_archives" (
	"id" uuid PRIMARY KEY NOT NULL,
	"chain" text NOT NULL,
	"from_seq" bigint NOT NULL,
	"to_seq" bigint NOT NULL,
	"first_prev_hash" text NOT NULL,
	"last_hash" text NOT NULL,
	"file" text NOT NULL,
	"file_sha256" text NOT NULL,
	"entries" integer NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "incident_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"incident_id" uuid NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"kind" text NOT NULL,
	"outcome" text NOT NULL,
	"details" jsonb NOT NULL,
	CONSTRAINT "incident_events_outcome_valid" CHECK ("incident_events"."outcome" in ('success', 'failure', 'skipped'))
);
--> statement-breakpoint
CREATE TABLE "incidents" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"state" text NOT NULL,
	"trigger" text NOT NULL,
	"orders_mode" text NOT NULL,
	"reason" text NOT NULL,
	"opened_by_type" text NOT NULL,
	"opened_by_id" text,
	"opened_at" timestamp with time zone NOT NULL,
	"unlock_requested_at" timestamp with time zone,
	"unlock_requested_by" uuid,
	"unlock_confirmed_at" timestamp with time zone,
	"unlock_not_before" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"summary" jsonb NOT NULL,
	CONSTRAINT "incidents_state_valid" CHECK ("incidents"."state" in ('open', 'unlocking', 'resolved')),
	CONSTRAINT "incidents_orders_mode_valid" CHECK ("incidents"."orders_mode" in ('cancel', 'cancel_and_close', 'leave'))
);
--> statement-breakpoint
CREATE TABLE "notification_channels" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"user_id" uuid,
	"kind" text NOT NULL,
	"label" text NOT NULL,
	"state" text NOT NULL,
	"min_severity" text NOT NULL,
	"config" jsonb NOT NULL,
	"secret_sealed" text,
	"link_code_hash" text,
	"link_code_expires_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "notification_channels_kind_valid" CHECK ("notification_channels"."kind" in ('email', 'telegram', 'webhook')),
	CONSTRAINT "notification_channels_state_valid" CHECK ("notification_channels"."state" in ('pending', 'active', 'disabled')),
	CONSTRAINT "notification_channels_severity_valid" CHECK ("notification_channels"."min_severity" in ('info', 'warning', 'critical'))
);
--> statement-breakpoint
CREATE TABLE "notification_deliveries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"channel_id" uuid NOT NULL,
	"alert_id" uuid NOT NULL,
	"workspace_id" uuid NOT NULL,
	"state" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"last_status" integer,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"delivered_at" timestamp with time zone,
	CONSTRAINT "notification_deliveries_state_valid" CHECK ("notification_deliveries"."state" in ('pending', 'delivered', 'failed', 'dead'))
);
--> statement-breakpoint
CREATE TABLE "workspace_settings" (
	"workspace_id" uuid PRIMARY KEY NOT NULL,
	"settings" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "account_tokens" DROP CONSTRAINT "account_tokens_purpose_valid";--> statement-breakpoint
ALTER TABLE "alerts" ADD COLUMN "dispatched_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "exchange_activity" ADD COLUMN "exchange" text;--> statement-breakpoint
ALTER TABLE "exchange_activity" ADD COLUMN "endpoint" text;--> statement-breakpoint
ALTER TABLE "exchange_activity" ADD COLUMN "bot_id" uuid;--> statement-breakpoint
ALTER TABLE "workspaces" ADD COLUMN "locked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "incident_events" ADD CONSTRAINT "incident_events_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_unlock_requested_by_users_id_fk" FOREIGN KEY ("unlock_requested_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_channels" ADD CONSTRAINT "notification_channels_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_channels" ADD CONSTRAINT "notification_channels_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_deliveries" ADD CONSTRAINT "notification_deliveries_channel_id_notification_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."notification_channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_deliveries" ADD CONSTRAINT "notification_deliveries_alert_id_alerts_id_fk" FOREIGN KEY ("alert_id") REFERENCES "public"."alerts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "notification_deliveries" ADD CONSTRAINT "notification_deliveries_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workspace_settings" ADD CONSTRAINT "workspace_settings_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "audit_archives_chain_from_key" ON "audit_archives" USING btree ("chain","from_seq");--> statement-breakpoint
CREATE INDEX "incident_events_incident_idx" ON "incident_events" USING btree ("incident_id","at");--> statement-breakpoint
CREATE INDEX "incidents_workspace_idx" ON "incidents" USING btree ("workspace_id","opened_at");--> statement-breakpoint
CREATE UNIQUE INDEX "incidents_one_open_key" ON "incidents" USING btree ("workspace_id") WHERE "incidents"."state" <> 'resolved';--> statement-breakpoint
CREATE INDEX "notification_channels_workspace_idx" ON "notification_channels" USING btree ("workspace_id");--> statement-breakpoint
CREATE UNIQUE INDEX "notification_channels_link_code_key" ON "notification_channels" USING btree ("link_code_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "notification_deliveries_alert_channel_key" ON "notification_deliveries" USING btree ("alert_id","channel_id");--> statement-breakpoint
CREATE INDEX "notification_deliveries_due_idx" ON "notification_deliveries" USING btree ("state","next_attempt_at");--> statement-breakpoint
CREATE INDEX "notification_deliveries_workspace_idx" ON "notification_deliveries" USING btree ("workspace_id","created_at");--> statement-breakpoint
CREATE INDEX "alerts_undispatched_idx" ON "alerts" USING btree ("created_at") WHERE "alerts"."dispatched_at" is null;--> statement-breakpoint
CREATE INDEX "exchange_activity_key_time_idx" ON "exchange_activity" USING btree ("key_id","occurred_at");--> statement-breakpoint
ALTER TABLE "account_tokens" ADD CONSTRAINT "account_tokens_purpose_valid" CHECK ("account_tokens"."purpose" in ('verify_email', 'reset_password', 'unlock', 'not_me', 'change_email', 'emergency_lockdown', 'confirm_unlock'));--> statement-breakpoint
-- Retention: a segment may leave audit_events only after it was written to an archive file and recorded in
-- audit_archives, inside the archiver's transaction (SET LOCAL bulwark.audit_archive = 'on'). UPDATE and
-- TRUNCATE stay refused. Someone who owns the database can drop the trigger anyway: the hash chain and the
-- signer-signed checkpoints are what catch that.
CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('bulwark.audit_archive', true) = 'on'
     AND EXISTS (SELECT 1 FROM audit_archives a WHERE a.chain = OLD.chain AND OLD.seq BETWEEN a.from_seq AND a.to_seq) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
