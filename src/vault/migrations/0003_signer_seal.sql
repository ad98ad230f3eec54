CREATE TABLE "signer"."seal" (
	"id" integer PRIMARY KEY NOT NULL,
	"sealed" boolean NOT NULL,
	"reason" text,
	"changed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "seal_single_row" CHECK ("signer"."seal"."id" = 1)
);
