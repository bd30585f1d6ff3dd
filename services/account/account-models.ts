/**
 * The account service's tables as objection models: a customer, its password
 * hash (kept apart, so no read of a profile carries it) and its refresh
 * tokens, stored as hashes only. Properties are the columns as they are named.
 */
import { Model, type RelationMappings } from "objection";
import type { Role } from "../../lib/auth/token-service";

export class Customer extends Model {
  static override tableName = "customers";

  declare id: string;
  declare email: string;
  declare first_name: string;
  declare last_name: string;
  declare address: string;
  declare phone_number: string;
  declare role: Role;
  declare created_at: Date;
  declare updated_at: Date;
  declare credential?: Credential;

  static override relationMappings = (): RelationMappings => ({
    credential: {
      relation: Model.HasOneRelation,
      modelClass: Credential,
      join: { from: "customers.id", to: "credentials.customer_id" },
    },
  });
}

export class Credential extends Model {
  static override tableName = "credentials";
  static override idColumn = "customer_id";

  declare customer_id: string;
  declare password_hash: string;
  declare updated_at: Date;
}

export class RefreshToken extends Model {
  static override tableName = "refresh_tokens";

  declare id: string;
  /** One family per login: a reused token revokes every token of its family. */
  declare family_id: string;
  declare customer_id: string;
  declare token_hash: string;
  declare expires_at: Date;
  declare used_at: Date | null;
  declare revoked_at: Date | null;
  declare created_at: Date;
}
