CREATE TABLE "consumers" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	"username" text,
	"custom_id" text,
	"tags" text[],
	CONSTRAINT "consumers_username_key" UNIQUE("username"),
	CONSTRAINT "consumers_custom_id_key" UNIQUE("custom_id")
);
--> statement-breakpoint
CREATE TABLE "keyauth_credentials" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" bigint NOT NULL,
	"consumer_id" uuid NOT NULL,
	"key" text,
	"tags" text[],
	"ttl" bigint,
	CONSTRAINT "keyauth_credentials_key_key" UNIQUE("key")
);
--> statement-breakpoint
ALTER TABLE "keyauth_credentials" ADD CONSTRAINT "keyauth_credentials_consumer_id_consumers_id_fk" FOREIGN KEY ("consumer_id") REFERENCES "public"."consumers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "keyauth_credentials_consumer_id_idx" ON "keyauth_credentials" USING btree ("consumer_id");--> statement-breakpoint
DELETE FROM "plugins" WHERE "consumer_id" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "plugins" ADD CONSTRAINT "plugins_consumer_id_consumers_id_fk" FOREIGN KEY ("consumer_id") REFERENCES "public"."consumers"("id") ON DELETE cascade ON UPDATE no action;
