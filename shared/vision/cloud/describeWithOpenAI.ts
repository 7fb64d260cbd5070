import type OpenAI from 'openai';
import { z } from 'zod';

/** What OpenAI is asked to answer: JSON with these two fields. */
const AnswerSchema = z.object({
  description: z.string().min(1),
  labels: z.array(z.string()).default([]),
});
export type OpenAIDescription = z.infer<typeof AnswerSchema>;

const PROMPT =
  'Describe this image for someone who cannot see it, in one to three sentences; quote any text that matters. ' +
  'Answer only JSON: {"description": string, "labels": string[] (up to 10 short lowercase nouns for what it shows)}.';

/** A description and labels of the image from an OpenAI vision model (chat completions, the image as a data URL). */
export async function describeWithOpenAI(client: OpenAI, model: string, jpeg: Buffer, signal: AbortSignal): Promise<OpenAIDescription> {
  const completion = await client.chat.completions.create(
    {
      model,
      response_format: { type: 'json_object' },
      max_completion_tokens: 400,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: PROMPT },
            { type: 'image_url', image_url: { url: `data:image/jpeg;base64,${jpeg.toString('base64')}`, detail: 'low' } },
          ],
        },
      ],
    },
    { signal },
  );
  const content = completion.choices[0]?.message.content;
  if (!content) throw new Error('OpenAI answered no content');
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    // A model that ignored the JSON instruction still described the image.
    return { description: content.trim(), labels: [] };
  }
  const answer = AnswerSchema.safeParse(parsed);
  if (!answer.success) throw new Error('OpenAI answered JSON without a description');
  return answer.data;
}
