-- CreateTable
CREATE TABLE "deployments" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "model_name" TEXT NOT NULL,
    "litellm_params" TEXT NOT NULL,
    "model_info" TEXT NOT NULL DEFAULT '{}',
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" TEXT,
    "updated_at" DATETIME NOT NULL,
    "updated_by" TEXT
);

-- CreateTable
CREATE TABLE "virtual_keys" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "token" TEXT NOT NULL,
    "key_name" TEXT NOT NULL,
    "key_alias" TEXT,
    "models" TEXT NOT NULL DEFAULT '[]',
    "spend" REAL NOT NULL DEFAULT 0,
    "max_budget" REAL,
    "soft_budget" REAL,
    "budget_duration" TEXT,
    "budget_reset_at" DATETIME,
    "rpm_limit" INTEGER,
    "tpm_limit" INTEGER,
    "max_parallel_requests" INTEGER,
    "expires" DATETIME,
    "blocked" BOOLEAN NOT NULL DEFAULT false,
    "metadata" TEXT NOT NULL DEFAULT '{}',
    "previous_token" TEXT,
    "previous_token_expires" DATETIME,
    "user_id" TEXT,
    "team_id" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_by" TEXT,
    "updated_at" DATETIME NOT NULL,
    CONSTRAINT "virtual_keys_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("user_id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "virtual_keys_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams" ("team_id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "users" (
    "user_id" TEXT NOT NULL PRIMARY KEY,
    "user_email" TEXT,
    "user_role" TEXT NOT NULL DEFAULT 'internal_user',
    "models" TEXT NOT NULL DEFAULT '[]',
    "spend" REAL NOT NULL DEFAULT 0,
    "max_budget" REAL,
    "budget_duration" TEXT,
    "budget_reset_at" DATETIME,
    "rpm_limit" INTEGER,
    "tpm_limit" INTEGER,
    "max_parallel_requests" INTEGER,
    "metadata" TEXT NOT NULL DEFAULT '{}',
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "teams" (
    "team_id" TEXT NOT NULL PRIMARY KEY,
    "team_alias" TEXT,
    "organization_id" TEXT,
    "models" TEXT NOT NULL DEFAULT '[]',
    "spend" REAL NOT NULL DEFAULT 0,
    "max_budget" REAL,
    "budget_duration" TEXT,
    "budget_reset_at" DATETIME,
    "rpm_limit" INTEGER,
    "tpm_limit" INTEGER,
    "max_parallel_requests" INTEGER,
    "blocked" BOOLEAN NOT NULL DEFAULT false,
    "metadata" TEXT NOT NULL DEFAULT '{}',
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL,
    CONSTRAINT "teams_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("organization_id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "team_memberships" (
    "team_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "role" TEXT NOT NULL DEFAULT 'user',
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("team_id", "user_id"),
    CONSTRAINT "team_memberships_team_id_fkey" FOREIGN KEY ("team_id") REFERENCES "teams" ("team_id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "team_memberships_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("user_id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "organizations" (
    "organization_id" TEXT NOT NULL PRIMARY KEY,
    "organization_alias" TEXT NOT NULL,
    "models" TEXT NOT NULL DEFAULT '[]',
    "spend" REAL NOT NULL DEFAULT 0,
    "max_budget" REAL,
    "budget_duration" TEXT,
    "budget_reset_at" DATETIME,
    "metadata" TEXT NOT NULL DEFAULT '{}',
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "spend_logs" (
    "request_id" TEXT NOT NULL PRIMARY KEY,
    "call_type" TEXT NOT NULL,
    "api_key" TEXT NOT NULL,
    "spend" REAL NOT NULL DEFAULT 0,
    "prompt_tokens" INTEGER NOT NULL DEFAULT 0,
    "completion_tokens" INTEGER NOT NULL DEFAULT 0,
    "cached_tokens" INTEGER NOT NULL DEFAULT 0,
    "start_time" DATETIME NOT NULL,
    "end_time" DATETIME NOT NULL,
    "completion_start_time" DATETIME,
    "model" TEXT NOT NULL,
    "model_group" TEXT,
    "model_id" TEXT,
    "custom_llm_provider" TEXT,
    "api_base" TEXT,
    "user" TEXT,
    "end_user" TEXT,
    "team_id" TEXT,
    "organization_id" TEXT,
    "request_tags" TEXT NOT NULL DEFAULT '[]',
    "cache_hit" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL,
    "metadata" TEXT NOT NULL DEFAULT '{}'
);

-- CreateTable
CREATE TABLE "daily_spend" (
    "date" TEXT NOT NULL,
    "api_key" TEXT NOT NULL,
    "model" TEXT NOT NULL,
    "team_id" TEXT NOT NULL DEFAULT '',
    "user_id" TEXT,
    "spend" REAL NOT NULL DEFAULT 0,
    "prompt_tokens" INTEGER NOT NULL DEFAULT 0,
    "completion_tokens" INTEGER NOT NULL DEFAULT 0,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "successful" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("date", "api_key", "model", "team_id")
);

-- CreateTable
CREATE TABLE "audit_log" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "object_type" TEXT NOT NULL,
    "object_id" TEXT NOT NULL,
    "before" TEXT,
    "after" TEXT
);

-- CreateIndex
CREATE INDEX "deployments_model_name_idx" ON "deployments"("model_name");

-- CreateIndex
CREATE UNIQUE INDEX "virtual_keys_token_key" ON "virtual_keys"("token");

-- CreateIndex
CREATE UNIQUE INDEX "virtual_keys_key_alias_key" ON "virtual_keys"("key_alias");

-- CreateIndex
CREATE UNIQUE INDEX "virtual_keys_previous_token_key" ON "virtual_keys"("previous_token");

-- CreateIndex
CREATE INDEX "virtual_keys_user_id_idx" ON "virtual_keys"("user_id");

-- CreateIndex
CREATE INDEX "virtual_keys_team_id_idx" ON "virtual_keys"("team_id");

-- CreateIndex
CREATE UNIQUE INDEX "users_user_email_key" ON "users"("user_email");

-- CreateIndex
CREATE UNIQUE INDEX "teams_team_alias_key" ON "teams"("team_alias");

-- CreateIndex
CREATE INDEX "teams_organization_id_idx" ON "teams"("organization_id");

-- CreateIndex
CREATE INDEX "team_memberships_user_id_idx" ON "team_memberships"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "organizations_organization_alias_key" ON "organizations"("organization_alias");

-- CreateIndex
CREATE INDEX "spend_logs_start_time_idx" ON "spend_logs"("start_time");

-- CreateIndex
CREATE INDEX "spend_logs_api_key_start_time_idx" ON "spend_logs"("api_key", "start_time");

-- CreateIndex
CREATE INDEX "spend_logs_user_start_time_idx" ON "spend_logs"("user", "start_time");

-- CreateIndex
CREATE INDEX "spend_logs_team_id_start_time_idx" ON "spend_logs"("team_id", "start_time");

-- CreateIndex
CREATE INDEX "daily_spend_date_idx" ON "daily_spend"("date");

-- CreateIndex
CREATE INDEX "audit_log_object_type_object_id_idx" ON "audit_log"("object_type", "object_id");

-- CreateIndex
CREATE INDEX "audit_log_at_idx" ON "audit_log"("at");
