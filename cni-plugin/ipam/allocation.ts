/** The record format lives in common/allocation-record.ts (shared with the agent and petrelctl). */
export { encodeRecordTarget, recordName, sameOwner, type Allocation, type DecodedRecord, type Owner } from "../../common/allocation-record.ts";
