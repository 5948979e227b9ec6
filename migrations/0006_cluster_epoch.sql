CREATE TABLE "cluster_epoch" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"epoch" uuid NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "cluster_epoch_single_row" CHECK ("id" = 1)
);
--> statement-breakpoint
INSERT INTO "cluster_epoch" ("id", "epoch") VALUES (1, gen_random_uuid());
