CREATE TABLE "demo_accounts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone NOT NULL,
	"reset_count" integer DEFAULT 0 NOT NULL,
	"reset_seq" bigint DEFAULT 0 NOT NULL,
	"last_reset_at" timestamp with time zone,
	CONSTRAINT "demo_accounts_kind_valid" CHECK ("demo_accounts"."kind" in ('spot', 'futures'))
);
--> statement-breakpoint
CREATE TABLE "demo_events" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"time" bigint NOT NULL,
	"type" text NOT NULL,
	"account_id" uuid,
	"event" json NOT NULL
);
--> statement-breakpoint
CREATE TABLE "demo_fills" (
	"id" text PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"order_id" text NOT NULL,
	"client_order_id" text,
	"account_id" uuid NOT NULL,
	"symbol" text NOT NULL,
	"side" text NOT NULL,
	"position_side" text NOT NULL,
	"amount" numeric NOT NULL,
	"price" numeric NOT NULL,
	"cost" numeric NOT NULL,
	"fee" numeric NOT NULL,
	"fee_currency" text NOT NULL,
	"liquidity" text NOT NULL,
	"realized_pnl" numeric,
	"time" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "demo_funding" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"account_id" uuid NOT NULL,
	"symbol" text NOT NULL,
	"position_side" text NOT NULL,
	"rate" numeric NOT NULL,
	"mark_price" numeric NOT NULL,
	"contracts" numeric NOT NULL,
	"amount" numeric NOT NULL,
	"funding_time" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "demo_liquidations" (
	"id" text PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"account_id" uuid NOT NULL,
	"symbol" text NOT NULL,
	"position_side" text NOT NULL,
	"margin_mode" text NOT NULL,
	"side" text NOT NULL,
	"contracts" numeric NOT NULL,
	"mark_price" numeric NOT NULL,
	"realized_pnl" numeric NOT NULL,
	"fee" numeric NOT NULL,
	"loss_covered" numeric NOT NULL,
	"time" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "demo_orders" (
	"id" text PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"account_id" uuid NOT NULL,
	"symbol" text NOT NULL,
	"client_order_id" text,
	"status" text NOT NULL,
	"updated_at" bigint NOT NULL,
	"order" json NOT NULL
);
--> statement-breakpoint
CREATE TABLE "demo_snapshots" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"time" bigint NOT NULL,
	"taken_at" timestamp with time zone NOT NULL,
	"snapshot" json NOT NULL
);
--> statement-breakpoint
ALTER TABLE "demo_accounts" ADD CONSTRAINT "demo_accounts_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "demo_accounts" ADD CONSTRAINT "demo_accounts_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "demo_accounts_workspace_idx" ON "demo_accounts" USING btree ("workspace_id");--> statement-breakpoint
CREATE INDEX "demo_fills_account_idx" ON "demo_fills" USING btree ("account_id","seq");--> statement-breakpoint
CREATE INDEX "demo_fills_order_idx" ON "demo_fills" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "demo_funding_account_idx" ON "demo_funding" USING btree ("account_id","seq");--> statement-breakpoint
CREATE INDEX "demo_liquidations_account_idx" ON "demo_liquidations" USING btree ("account_id","seq");--> statement-breakpoint
CREATE INDEX "demo_orders_account_idx" ON "demo_orders" USING btree ("account_id","seq");--> statement-breakpoint
CREATE INDEX "demo_orders_client_idx" ON "demo_orders" USING btree ("account_id","client_order_id");--> statement-breakpoint
-- The demo event log is append-only for the application, like the audit log: a restart rebuilds the
-- engine from it, so a changed or removed event would silently change balances.
CREATE FUNCTION demo_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'demo_events is append-only';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER demo_events_append_only BEFORE UPDATE OR DELETE ON demo_events
  FOR EACH ROW EXECUTE FUNCTION demo_events_refuse_change();
--> statement-breakpoint
CREATE TRIGGER demo_events_no_truncate BEFORE TRUNCATE ON demo_events
  FOR EACH STATEMENT EXECUTE FUNCTION demo_events_refuse_change();
