export * from './testing/scripted-reply.ts';
export * from './testing/openai-test-server.ts';
export * from './testing/gemini-test-server.ts';
export * from './testing/test-image.ts';
