/**
 * Arguments of `openssl` for the throwaway certificates of tests: P-256 keys without a
 * passphrase, two days unless told.
 */
const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** `openssl req -x509`: a self-signed certificate (a test CA, a stand-in), with -addext values. */
export function selfSignedArgs(
  subject: string,
  keyOut: string,
  certOut: string,
  ext: string[] = [],
): string[] {
  return [
    'req',
    '-x509',
    ...P256,
    '-days',
    '2',
    '-subj',
    subject,
    ...ext.flatMap((e) => ['-addext', e]),
    '-keyout',
    keyOut,
    '-out',
    certOut,
  ];
}

/** `openssl req -new`: a key and its certificate request. */
export function requestArgs(subject: string, keyOut: string, csrOut: string): string[] {
  return ['req', '-new', ...P256, '-subj', subject, '-keyout', keyOut, '-out', csrOut];
}

/** `openssl x509 -req`: the request signed by the CA, with the extensions of `extfile`. */
export function signArgs(
  request: { csr: string; ca: string; caKey: string; extfile: string; out: string },
  serial?: string,
): string[] {
  return [
    'x509',
    '-req',
    '-in',
    request.csr,
    '-CA',
    request.ca,
    '-CAkey',
    request.caKey,
    ...(serial === undefined ? ['-CAcreateserial'] : ['-set_serial', serial]),
    '-days',
    '2',
    '-extfile',
    request.extfile,
    '-out',
    request.out,
  ];
}
