import { connectIpc, type IpcClient } from '../ipc/client.js';
import { fail } from './exit.js';

/** Opens a connection for one command, and always closes it, whatever the command does. */
export async function withClient<T>(socketPath: string, run: (client: IpcClient) => Promise<T>): Promise<T> {
  const connected = await connectIpc(socketPath, { client: 'comfyui-dl-cli' });
  if (connected.isErr()) fail(connected.error);
  try {
    return await run(connected.value);
  } finally {
    await connected.value.close();
  }
}
