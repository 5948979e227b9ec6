CREATE TABLE "ca_certificates" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	"cert" text NOT NULL,
	"cert_digest" text,
	"tags" text[],
	CONSTRAINT "ca_certificates_cert_digest_key" UNIQUE("cert_digest")
);
--> statement-breakpoint
CREATE TABLE "certificates" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	"cert" text NOT NULL,
	"key" text NOT NULL,
	"cert_alt" text,
	"key_alt" text,
	"tags" text[]
);
--> statement-breakpoint
CREATE TABLE "snis" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	"tags" text[],
	"certificate_id" uuid NOT NULL,
	CONSTRAINT "snis_name_key" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "snis" ADD CONSTRAINT "snis_certificate_id_certificates_id_fk" FOREIGN KEY ("certificate_id") REFERENCES "public"."certificates"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "snis_certificate_id_idx" ON "snis" USING btree ("certificate_id");--> statement-breakpoint
ALTER TABLE "services" ADD CONSTRAINT "services_client_certificate_id_certificates_id_fk" FOREIGN KEY ("client_certificate_id") REFERENCES "public"."certificates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "upstreams" ADD CONSTRAINT "upstreams_client_certificate_id_certificates_id_fk" FOREIGN KEY ("client_certificate_id") REFERENCES "public"."certificates"("id") ON DELETE no action ON UPDATE no action;