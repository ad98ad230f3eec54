CREATE TABLE "signer"."trusted_passkeys" (
	"workspace_id" uuid NOT NULL,
	"authenticator_id" text NOT NULL,
	"user_id" uuid NOT NULL,
	"public_key" "bytea" NOT NULL,
	"counter" bigint NOT NULL,
	"trusted_at" timestamp with time zone NOT NULL,
	"trusted_via" text NOT NULL,
	"operation_id" uuid,
	CONSTRAINT "trusted_passkeys_workspace_id_authenticator_id_pk" PRIMARY KEY("workspace_id","authenticator_id")
);
--> statement-breakpoint
CREATE TABLE "signer"."widening_operations" (
	"operation_id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"key_id" uuid,
	"kind" text NOT NULL,
	"params" jsonb NOT NULL,
	"base" jsonb NOT NULL,
	"challenge" text NOT NULL,
	"state" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolved_via" text,
	"confirmed_by" text,
	"note" text,
	CONSTRAINT "widening_operations_kind_valid" CHECK ("signer"."widening_operations"."kind" in ('limits', 'enable', 'trust_passkey')),
	CONSTRAINT "widening_operations_state_valid" CHECK ("signer"."widening_operations"."state" in ('pending', 'applying', 'applied', 'cancelled', 'superseded', 'failed'))
);
--> statement-breakpoint
CREATE INDEX "trusted_passkeys_user_idx" ON "signer"."trusted_passkeys" USING btree ("workspace_id","user_id");--> statement-breakpoint
CREATE INDEX "widening_operations_due_idx" ON "signer"."widening_operations" USING btree ("workspace_id","state","not_before");--> statement-breakpoint
CREATE INDEX "widening_operations_key_idx" ON "signer"."widening_operations" USING btree ("key_id","state");