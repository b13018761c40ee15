// The example's ORM models (API.md's User). `covet migrate make NAME --models examples/rest-api/models.ts`
// diffs them against the live database.
// biome-ignore lint/suspicious/noShadowRestrictedNames: `String(100)` is the column type of API.md (SQLAlchemy's name)
import { Column, DateTime, Integer, Model, type RowOf, String, func } from 'covet/database/orm';

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: type-only; Model's constructor sets every column property
export class User extends Model {
  static override tableName = 'users';
  static override columns = {
    id: Column(Integer, { primaryKey: true }),
    name: Column(String(100), { nullable: false }),
    email: Column(String(255), { unique: true, nullable: false }),
    createdAt: Column(DateTime, { default: func.now() }),
  };
}
// Types `new User({...})` instances too (static methods are typed without it).
export interface User extends RowOf<typeof User.columns> {}

