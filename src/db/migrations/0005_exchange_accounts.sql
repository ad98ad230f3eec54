CREATE TABLE "exchange_accounts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"exchange" text NOT NULL,
	"label" text NOT NULL,
	"key_id" uuid NOT NULL,
	"state" text NOT NULL,
	"api_key_hint" text NOT NULL,
	"verification" jsonb NOT NULL,
	"testnet" boolean DEFAULT false NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"key_created_at" timestamp with time zone NOT NULL,
	"last_used_at" timestamp with time zone,
	"last_verified_at" timestamp with time zone,
	"removed_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "exchange_activity" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"exchange_account_id" uuid,
	"key_id" uuid NOT NULL,
	"method" text NOT NULL,
	"outcome" text NOT NULL,
	"error_code" text,
	"actor_type" text NOT NULL,
	"actor_id" text,
	"request_id" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"duration_ms" integer NOT NULL,
	"details" jsonb NOT NULL,
	CONSTRAINT "exchange_activity_outcome_valid" CHECK ("exchange_activity"."outcome" in ('success', 'failure', 'denied'))
);
--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "factors_changed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "exchange_accounts" ADD CONSTRAINT "exchange_accounts_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exchange_accounts" ADD CONSTRAINT "exchange_accounts_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exchange_activity" ADD CONSTRAINT "exchange_activity_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "exchange_accounts_workspace_idx" ON "exchange_accounts" USING btree ("workspace_id");--> statement-breakpoint
CREATE UNIQUE INDEX "exchange_accounts_key_id_key" ON "exchange_accounts" USING btree ("key_id");--> statement-breakpoint
CREATE INDEX "exchange_activity_workspace_time_idx" ON "exchange_activity" USING btree ("workspace_id","occurred_at");