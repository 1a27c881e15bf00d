import type { DesiredVoiceUser, MappedFields, RuleId } from './types.js';
import type { PortalNumbers } from './location-move.js';

/** One step of a reconciliation plan, and the plan: what the reconciler applies and the dry run shows. */
export interface FieldChange {
  field: keyof MappedFields;
  before: unknown;
  after: unknown;
}

export type DeleteReason = 'deleted-in-directory' | 'left-every-synced-group' | 'registration-ended' | 'ineligible';

export type PlanRow =
  | { kind: 'create'; rule: RuleId; userName: string; desired: DesiredVoiceUser; licenses: string[] }
  | { kind: 'update'; rule: RuleId; userName: string; voiceUserId: string; changes: FieldChange[]; desired: DesiredVoiceUser }
  | { kind: 'link'; rule: 'DEL-6'; userName: string; voiceUserId: string; changes: FieldChange[]; desired: DesiredVoiceUser }
  | { kind: 'recreate'; rule: 'DEL-5'; userName: string; voiceUserId: string; changes: FieldChange[]; desired: DesiredVoiceUser; carried: PortalNumbers; notice?: string }
  | { kind: 'delete'; rule: RuleId; userName: string; voiceUserId: string; reason: DeleteReason; message: string; licenses: string[] }
  | { kind: 'error'; rule: RuleId; userName: string; directoryUserId: string; message: string };

export interface Plan {
  rows: PlanRow[];
}
