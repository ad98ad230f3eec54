CREATE TABLE "account_risk_limits" (
	"account_kind" text NOT NULL,
	"account_id" uuid NOT NULL,
	"workspace_id" uuid NOT NULL,
	"limits" jsonb NOT NULL,
	"updated_by" uuid,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "account_risk_limits_account_kind_account_id_pk" PRIMARY KEY("account_kind","account_id")
);
--> statement-breakpoint
CREATE TABLE "bot_signals" (
	"id" uuid PRIMARY KEY NOT NULL,
	"bot_id" uuid NOT NULL,
	"workspace_id" uuid NOT NULL,
	"source" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"signal_id" text,
	"action" text,
	"verdict" text NOT NULL,
	"code" text,
	"message" text NOT NULL,
	"source_ip" text,
	"details" jsonb NOT NULL,
	CONSTRAINT "bot_signals_verdict_valid" CHECK ("bot_signals"."verdict" in ('accepted', 'rejected'))
);
--> statement-breakpoint
CREATE TABLE "bots" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"name" text NOT NULL,
	"account_kind" text NOT NULL,
	"account_id" uuid NOT NULL,
	"config" jsonb NOT NULL,
	"state" jsonb NOT NULL,
	"status" text NOT NULL,
	"status_reason" text,
	"version" integer DEFAULT 0 NOT NULL,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"webhook_secret_sealed" text,
	"promoted_from_account_id" uuid,
	"promoted_at" timestamp with time zone,
	"created_by" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"started_at" timestamp with time zone,
	CONSTRAINT "bots_kind_valid" CHECK ("bots"."kind" in ('smart_trade', 'signal_bot')),
	CONSTRAINT "bots_account_kind_valid" CHECK ("bots"."account_kind" in ('demo', 'exchange')),
	CONSTRAINT "bots_status_valid" CHECK ("bots"."status" in ('draft', 'running', 'paused', 'stopped', 'finished', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"workspace_id" uuid NOT NULL,
	"key" text NOT NULL,
	"scope" text NOT NULL,
	"request_hash" text NOT NULL,
	"status_code" integer,
	"response" jsonb,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "idempotency_keys_workspace_id_key_pk" PRIMARY KEY("workspace_id","key")
);
--> statement-breakpoint
CREATE TABLE "order_intents" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"bot_id" uuid,
	"intent_key" text NOT NULL,
	"account_kind" text NOT NULL,
	"account_id" uuid NOT NULL,
	"venue" text NOT NULL,
	"symbol" text NOT NULL,
	"side" text NOT NULL,
	"type" text NOT NULL,
	"amount" numeric NOT NULL,
	"price" numeric,
	"stop_price" numeric,
	"reduce_only" boolean DEFAULT false NOT NULL,
	"purpose" text NOT NULL,
	"client_order_id" text NOT NULL,
	"state" text NOT NULL,
	"exchange_order_id" text,
	"filled" numeric DEFAULT '0' NOT NULL,
	"average" numeric,
	"fee" numeric,
	"fee_currency" text,
	"reason" text,
	"unresolved" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL,
	"checked_at" timestamp with time zone,
	CONSTRAINT "order_intents_state_valid" CHECK ("order_intents"."state" in ('intent', 'sent', 'acknowledged', 'partially_filled', 'filled', 'cancelled', 'rejected', 'unknown'))
);
--> statement-breakpoint
CREATE TABLE "reconcile_cursors" (
	"exchange_account_id" uuid PRIMARY KEY NOT NULL,
	"trades_until" bigint NOT NULL,
	"scanned_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "trading_halts" (
	"workspace_id" uuid PRIMARY KEY NOT NULL,
	"halted_at" timestamp with time zone NOT NULL,
	"halted_by" uuid,
	"reason" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "trading_runtimes" (
	"id" text PRIMARY KEY NOT NULL,
	"host" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"heartbeat_at" timestamp with time zone NOT NULL,
	"stopped_at" timestamp with time zone,
	"stall_reported_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "account_risk_limits" ADD CONSTRAINT "account_risk_limits_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "account_risk_limits" ADD CONSTRAINT "account_risk_limits_updated_by_users_id_fk" FOREIGN KEY ("updated_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bot_signals" ADD CONSTRAINT "bot_signals_bot_id_bots_id_fk" FOREIGN KEY ("bot_id") REFERENCES "public"."bots"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bots" ADD CONSTRAINT "bots_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bots" ADD CONSTRAINT "bots_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_intents" ADD CONSTRAINT "order_intents_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_intents" ADD CONSTRAINT "order_intents_bot_id_bots_id_fk" FOREIGN KEY ("bot_id") REFERENCES "public"."bots"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trading_halts" ADD CONSTRAINT "trading_halts_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trading_halts" ADD CONSTRAINT "trading_halts_halted_by_users_id_fk" FOREIGN KEY ("halted_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bot_signals_bot_idx" ON "bot_signals" USING btree ("bot_id","received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "bot_signals_signal_id" ON "bot_signals" USING btree ("bot_id","signal_id") WHERE "bot_signals"."signal_id" is not null and "bot_signals"."verdict" = 'accepted';--> statement-breakpoint
CREATE INDEX "bots_workspace_idx" ON "bots" USING btree ("workspace_id","created_at");--> statement-breakpoint
CREATE INDEX "bots_runnable_idx" ON "bots" USING btree ("status","lease_expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "order_intents_bot_key" ON "order_intents" USING btree ("bot_id","intent_key");--> statement-breakpoint
CREATE UNIQUE INDEX "order_intents_client_id" ON "order_intents" USING btree ("account_kind","account_id","client_order_id");--> statement-breakpoint
CREATE INDEX "order_intents_open_idx" ON "order_intents" USING btree ("state","updated_at");--> statement-breakpoint
CREATE INDEX "order_intents_workspace_idx" ON "order_intents" USING btree ("workspace_id","created_at");--> statement-breakpoint
CREATE INDEX "order_intents_account_idx" ON "order_intents" USING btree ("account_kind","account_id","symbol");