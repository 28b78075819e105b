// The four Promptdeck mutators for the official Replicache client, written from
// ../shared/design.md section 3 and kept equivalent to protocol/src/mutation.rs.

const key = (id) => `prompt/${id}`;

export const mutators = {
  async createPrompt(tx, { id, title, body, tags = [], createdAt }) {
    if (await tx.has(key(id))) return;
    await tx.set(key(id), {
      id, title, body, tags, createdAt, updatedAt: createdAt, useCount: 0, lastUsedAt: null,
    });
  },
  async updatePrompt(tx, { id, title, body, tags, updatedAt }) {
    const prompt = await tx.get(key(id));
    if (prompt === undefined) return;
    await tx.set(key(id), {
      ...prompt,
      ...(title !== undefined && { title }),
      ...(body !== undefined && { body }),
      ...(tags !== undefined && { tags }),
      updatedAt,
    });
  },
  async deletePrompt(tx, { id }) {
    await tx.del(key(id));
  },
  async markPromptUsed(tx, { id, at }) {
    const prompt = await tx.get(key(id));
    if (prompt === undefined) return;
    const lastUsedAt = prompt.lastUsedAt === null ? at : Math.max(prompt.lastUsedAt, at);
    await tx.set(key(id), { ...prompt, useCount: prompt.useCount + 1, lastUsedAt });
  },
};
