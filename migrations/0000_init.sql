CREATE TABLE "config_events" (
	"version" bigserial PRIMARY KEY NOT NULL,
	"entity" text NOT NULL,
	"op" text NOT NULL,
	"entity_id" uuid NOT NULL,
	"payload" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "routes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" integer NOT NULL,
	"updated_at" integer NOT NULL,
	"name" text,
	"protocols" text[] NOT NULL,
	"https_redirect_status_code" integer NOT NULL,
	"strip_path" boolean NOT NULL,
	"preserve_host" boolean NOT NULL,
	"request_buffering" boolean NOT NULL,
	"response_buffering" boolean NOT NULL,
	"tags" text[],
	"service_id" uuid,
	"snis" text[],
	"sources" jsonb,
	"destinations" jsonb,
	"methods" text[],
	"hosts" text[],
	"paths" text[],
	"headers" jsonb,
	"regex_priority" integer NOT NULL,
	"path_handling" text NOT NULL,
	CONSTRAINT "routes_name_key" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "services" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" integer NOT NULL,
	"updated_at" integer NOT NULL,
	"name" text,
	"retries" integer NOT NULL,
	"protocol" text NOT NULL,
	"host" text NOT NULL,
	"port" integer NOT NULL,
	"path" text,
	"connect_timeout" integer NOT NULL,
	"write_timeout" integer NOT NULL,
	"read_timeout" integer NOT NULL,
	"tags" text[],
	"client_certificate_id" uuid,
	"tls_verify" boolean,
	"tls_verify_depth" integer,
	"ca_certificates" uuid[],
	"enabled" boolean NOT NULL,
	CONSTRAINT "services_name_key" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "targets" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" double precision NOT NULL,
	"updated_at" double precision NOT NULL,
	"upstream_id" uuid NOT NULL,
	"target" text NOT NULL,
	"weight" integer NOT NULL,
	"tags" text[],
	"backup" boolean DEFAULT false NOT NULL,
	CONSTRAINT "targets_upstream_id_target_key" UNIQUE("upstream_id","target")
);
--> statement-breakpoint
CREATE TABLE "upstreams" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" integer NOT NULL,
	"updated_at" integer NOT NULL,
	"name" text NOT NULL,
	"algorithm" text NOT NULL,
	"hash_on" text NOT NULL,
	"hash_fallback" text NOT NULL,
	"hash_on_header" text,
	"hash_fallback_header" text,
	"hash_on_cookie" text,
	"hash_on_cookie_path" text,
	"hash_on_query_arg" text,
	"hash_fallback_query_arg" text,
	"hash_on_uri_capture" text,
	"hash_fallback_uri_capture" text,
	"slots" integer NOT NULL,
	"healthchecks" jsonb,
	"tags" text[],
	"host_header" text,
	"client_certificate_id" uuid,
	"use_srv_name" boolean NOT NULL,
	CONSTRAINT "upstreams_name_key" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "routes" ADD CONSTRAINT "routes_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "targets" ADD CONSTRAINT "targets_upstream_id_upstreams_id_fk" FOREIGN KEY ("upstream_id") REFERENCES "public"."upstreams"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "routes_service_id_idx" ON "routes" USING btree ("service_id");