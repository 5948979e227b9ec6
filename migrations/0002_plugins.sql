CREATE TABLE "plugins" (
	"id" uuid PRIMARY KEY NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	"name" text NOT NULL,
	"instance_name" text,
	"route_id" uuid,
	"service_id" uuid,
	"consumer_id" uuid,
	"config" jsonb NOT NULL,
	"protocols" text[] NOT NULL,
	"enabled" boolean NOT NULL,
	"tags" text[],
	CONSTRAINT "plugins_instance_name_key" UNIQUE("instance_name"),
	CONSTRAINT "plugins_name_route_id_service_id_consumer_id_key" UNIQUE NULLS NOT DISTINCT("name","route_id","service_id","consumer_id")
);
--> statement-breakpoint
ALTER TABLE "plugins" ADD CONSTRAINT "plugins_route_id_routes_id_fk" FOREIGN KEY ("route_id") REFERENCES "public"."routes"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plugins" ADD CONSTRAINT "plugins_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE cascade ON UPDATE no action;