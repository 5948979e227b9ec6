ALTER TABLE "targets" ADD COLUMN "rpm" integer;--> statement-breakpoint
ALTER TABLE "targets" ADD COLUMN "tpm" integer;--> statement-breakpoint
ALTER TABLE "upstreams" ADD COLUMN "ai" jsonb;--> statement-breakpoint
ALTER TABLE "upstreams" ADD COLUMN "slow_start" double precision DEFAULT 0 NOT NULL;--> statement-breakpoint
UPDATE "upstreams" SET "ai" = '{"signals": true, "default_cooldown": 5, "max_cooldown": 300, "token_reservation": 256}'::jsonb WHERE "ai" IS NULL;