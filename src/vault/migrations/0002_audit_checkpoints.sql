CREATE TABLE "signer"."audit_checkpoints" (
	"chain" text NOT NULL,
	"seq" bigint NOT NULL,
	"head" text NOT NULL,
	"time" text NOT NULL,
	"signed_at" timestamp with time zone NOT NULL,
	"signature" text NOT NULL,
	"key_id" text NOT NULL,
	CONSTRAINT "audit_checkpoints_chain_seq_pk" PRIMARY KEY("chain","seq")
);
