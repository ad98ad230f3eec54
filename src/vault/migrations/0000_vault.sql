-- IF NOT EXISTS: the migrator creates the schema first for its own bookkeeping table.
CREATE SCHEMA IF NOT EXISTS "signer";
--> statement-breakpoint
CREATE TABLE "signer"."order_usage" (
	"key_id" uuid NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"notional_quote" numeric NOT NULL,
	"request_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signer"."reuse_locks" (
	"fingerprint" text PRIMARY KEY NOT NULL,
	"key_id" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signer"."seal_nonces" (
	"nonce" text PRIMARY KEY NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signer"."keys" (
	"key_id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"exchange_account_id" uuid NOT NULL,
	"exchange" text NOT NULL,
	"state" text NOT NULL,
	"disabled_reason" text,
	"key_version" integer NOT NULL,
	"threshold" integer NOT NULL,
	"share_count" integer NOT NULL,
	"api_key_hint" text NOT NULL,
	"fingerprint" text NOT NULL,
	"verification" jsonb NOT NULL,
	"limits" jsonb NOT NULL,
	"is_testnet" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "keys_state_valid" CHECK ("signer"."keys"."state" in ('writing', 'unverified', 'pending_approval', 'active', 'disabled', 'destroyed'))
);
--> statement-breakpoint
CREATE TABLE "signer"."shares" (
	"key_id" uuid NOT NULL,
	"key_version" integer NOT NULL,
	"store_id" text NOT NULL,
	"share_index" integer NOT NULL,
	"threshold" integer NOT NULL,
	"share_count" integer NOT NULL,
	"workspace_id" uuid NOT NULL,
	"exchange_account_id" uuid NOT NULL,
	"master_version" integer NOT NULL,
	"wrapped_share" "bytea" NOT NULL,
	"credentials_ciphertext" "bytea" NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "shares_key_id_key_version_store_id_pk" PRIMARY KEY("key_id","key_version","store_id")
);
--> statement-breakpoint
CREATE INDEX "order_usage_key_time_idx" ON "signer"."order_usage" USING btree ("key_id","at");--> statement-breakpoint
CREATE INDEX "keys_workspace_idx" ON "signer"."keys" USING btree ("workspace_id");